using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.Diagnostics;
using Tessera.Http;
using Tessera.Interop;
using Tessera.Pki;

namespace Tessera.AspNetCore.Tests;

/// <summary>The meter is process-wide: this collection runs alone, so every measurement seen is from its connections.</summary>
[CollectionDefinition("metrics", DisableParallelization = true)]
public sealed class MetricsCollection : ICollectionFixture<PemFixture>;

/// <summary>Kestrel and HttpClient, both over Tessera, observed through a <see cref="MeterListener"/> as OpenTelemetry would.</summary>
[Collection("metrics")]
public sealed class MetricsTests(PemFixture pem)
{
    [Fact]
    public async Task KestrelAndHttpClientOverTessera_RecordHandshakesFailuresConnectionsAndBytes()
    {
        var measurements = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TlsTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, copy));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        List<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string name, string role)
        {
            lock (measurements)
            {
                return measurements.Where(m => m.Instrument == name && (string?)m.Tags["tls.role"] == role).ToList();
            }
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseTessera(options => options.Certificates.Add(pem.Certificates[CertificateKeyType.EcdsaP256]));
        }));
        await using var app = builder.Build();
        app.MapGet("/", () => new string('a', 10_000));
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;

        using (var client = new HttpClient(new TesseraHttpHandler(new TlsClientOptions { CertificateVerifier = pem.Verifier() })))
        {
            foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}/") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                using var response = await client.SendAsync(request);
                Assert.Equal(10_000, (await response.Content.ReadAsStringAsync()).Length);
            }

            // Two pooled connections are open on each side.
            Assert.Equal(2, Of(TlsTelemetry.ActiveConnectionsInstrument, "client").Sum(m => m.Value));
            Assert.Equal(2, Of(TlsTelemetry.ActiveConnectionsInstrument, "server").Sum(m => m.Value));
        }

        // An untrusting client: its handshake fails with unknown_ca on both sides.
        using (var untrusting = new HttpClient(new TesseraHttpHandler()))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetStringAsync($"https://localhost:{port}/"));
        }

        await app.StopAsync();
        foreach (var role in new[] { "client", "server" })
        {
            var handshakes = Of(TlsTelemetry.HandshakesInstrument, role);
            Assert.Equal(2, handshakes.Count);
            Assert.All(handshakes, h => Assert.Equal("1.3", h.Tags["tls.protocol.version"]));
            Assert.Single(handshakes, h => (bool)h.Tags["tls.resumed"]!);   // the second connection resumed the first's ticket
            var failure = Assert.Single(Of(TlsTelemetry.HandshakeFailuresInstrument, role));
            Assert.Equal("unknown_ca", failure.Tags["error.type"]);
            Assert.Equal(role == "client" ? "local" : "peer", failure.Tags["tls.alert.source"]);
            Assert.Equal(3, Of(TlsTelemetry.HandshakeDurationInstrument, role).Count);
            double Bytes(string direction) => Of(TlsTelemetry.BytesInstrument, role).Where(m => (string?)m.Tags["network.io.direction"] == direction).Sum(m => m.Value);
            Assert.True(Bytes(role == "client" ? "receive" : "transmit") > 20_000);   // two 10,000-byte pages in records
            Assert.InRange(Bytes(role == "client" ? "transmit" : "receive"), 500, 20_000);
        }

        // Every connection is gone: the gauge is back to zero.
        Assert.Equal(0, Of(TlsTelemetry.ActiveConnectionsInstrument, "client").Sum(m => m.Value));
        Assert.Equal(0, Of(TlsTelemetry.ActiveConnectionsInstrument, "server").Sum(m => m.Value));
    }
}
