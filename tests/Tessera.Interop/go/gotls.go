// gotls: Go's crypto/tls as an interop peer for Tessera's tests (standard library only).
//
//	gotls client ADDR SNI CAFILE [ECHCONFIGLIST_BASE64]   GET / over TLS; prints "ok <version> ech=<bool> <body>" or "error <message>"
//	                                                       (after a rejected ECH: "error <message> retry=<base64 retry configs>")
//	gotls server CERT KEY                                  prints "ACCEPT 127.0.0.1:PORT", answers each connection with its state
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	switch os.Args[1] {
	case "client":
		client(os.Args[2], os.Args[3], os.Args[4], os.Args[5:])
	case "server":
		server(os.Args[2], os.Args[3])
	}
}

func client(addr, sni, caFile string, rest []string) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fmt.Println("error", err)
		return
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	config := &tls.Config{ServerName: sni, RootCAs: roots, MinVersion: tls.VersionTLS12}
	if len(rest) > 0 {
		list, err := base64.StdEncoding.DecodeString(rest[0])
		if err != nil {
			fmt.Println("error", err)
			return
		}
		config.EncryptedClientHelloConfigList = list
		config.MinVersion = tls.VersionTLS13
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, config)
	if err != nil {
		var rejection *tls.ECHRejectionError
		if errors.As(err, &rejection) && len(rejection.RetryConfigList) > 0 {
			fmt.Println("error", err, "retry="+base64.StdEncoding.EncodeToString(rejection.RetryConfigList))
			return
		}
		fmt.Println("error", err)
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", sni)
	body, _ := io.ReadAll(conn)
	state := conn.ConnectionState()
	fmt.Printf("ok %s ech=%v %s\n", tls.VersionName(state.Version), state.ECHAccepted, strings.ReplaceAll(string(body), "\n", " | "))
}

func server(certFile, keyFile string) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	listener, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("ACCEPT", listener.Addr().String())
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			state := c.(*tls.Conn).ConnectionState()
			fmt.Fprintf(c, "go-server %s %s got:%s", tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite), line)
		}(conn)
	}
}
