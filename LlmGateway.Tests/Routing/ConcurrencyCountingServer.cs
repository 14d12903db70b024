using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Tests.Routing;

/// <summary>An OpenAI-compatible upstream that answers after a delay and records the most requests it ever had in flight.</summary>
public sealed class ConcurrencyCountingServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int inFlight;
    private int maxInFlight;

    private ConcurrencyCountingServer(TimeSpan delay)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            try
            {
                using var reader = new StreamReader(context.Request.Body);
                Bodies.Add(await reader.ReadToEndAsync(context.RequestAborted));
                await Task.Delay(delay, context.RequestAborted);
                return Results.Text("""
                    {"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"p"},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}
                    """, "application/json");
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
    }

    public Uri OpenAiBase { get; private set; } = null!;

    public int MaxInFlight => Volatile.Read(ref maxInFlight);

    public ConcurrentBag<string> Bodies { get; } = [];

    public static async Task<ConcurrencyCountingServer> StartAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var server = new ConcurrencyCountingServer(delay);
        await server.app.StartAsync(cancellationToken);
        var address = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.OpenAiBase = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
