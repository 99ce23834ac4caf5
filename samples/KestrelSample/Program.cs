// A Kestrel app whose TLS is Tessera's: HTTP/1.1 and HTTP/2 (ALPN), the page says what was negotiated.
//   dotnet run --project samples/KestrelSample -- [--port N] [--cert chain.pem --key key.pem]
// Without --cert it makes a throwaway CA and a certificate for localhost, and writes the CA to ./sample-ca.pem.
using System.Net;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Tessera;
using Tessera.AspNetCore;
using Tessera.Pki;

string? Argument(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

int port = int.TryParse(Argument("--port"), out var p) ? p : 0;
TlsCertificate certificate;
if (Argument("--cert") is { } certFile)
{
    certificate = PemFiles.LoadTlsCertificate(certFile, Argument("--key") ?? certFile);
}
else
{
    var ca = TestCertificateAuthority.Create(CertificateKeyType.EcdsaP256, "Tessera Sample CA");
    certificate = ca.IssueServerCertificate(["localhost"], CertificateKeyType.EcdsaP256);
    File.WriteAllText("sample-ca.pem", ca.RootCertificatePem);
}

var builder = WebApplication.CreateSlimBuilder(args);
// Kestrel warns at startup that HTTP/2 needs TLS on this endpoint: only its own UseHttps sets its internal TLS flag.
// HTTP/2 is negotiated all the same (ALPN "h2", then Kestrel sees the TLS features), so the warning is quieted here.
builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
{
    listen.Protocols = HttpProtocols.Http1AndHttp2;
    listen.UseTessera(options => options.Certificates.Add(certificate));
}));

var app = builder.Build();
app.MapGet("/", (HttpContext context) =>
{
    var tls = context.Features.Get<ITlsHandshakeFeature>();
    var group = context.Features.Get<ITesseraConnectionFeature>()?.Connection.NegotiatedGroup;
    return Results.Content(
        $"<!doctype html><title>Tessera</title><h1>Served through Tessera</h1><p id=\"tls\">{context.Request.Protocol} over {tls?.Protocol} with {tls?.NegotiatedCipherSuite}, key exchange {group}</p>",
        "text/html");
});

await app.StartAsync();
foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses)
{
    Console.WriteLine($"LISTENING {address.Replace("http://", "https://", StringComparison.Ordinal)}");
}

await app.WaitForShutdownAsync();
