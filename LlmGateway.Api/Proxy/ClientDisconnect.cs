using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Proxy;

/// <summary>What a stream does when its client goes away (section <c>Gateway</c>).</summary>
public sealed class DisconnectOptions
{
    /// <summary><c>drain</c> (default): keep reading the upstream, writing nothing, until its usage arrives; <c>cancel</c>: stop at once and bill an estimate.</summary>
    public string DisconnectPolicy { get; set; } = "drain";

    /// <summary>How long a drain may read after the client left (default 30 s); then it is cancelled and an estimate billed.</summary>
    public TimeSpan DisconnectDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Drains at once per replica (default 64); beyond that a disconnected stream is cancelled.</summary>
    public int MaxConcurrentDrains { get; set; } = 64;

    public bool Drains => !string.Equals(DisconnectPolicy, "cancel", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The replica's drain slots.</summary>
public sealed class DisconnectDrains(IOptions<DisconnectOptions> options)
{
    private int active;

    public DisconnectOptions Options { get; } = options.Value;

    public int Active => Volatile.Read(ref active);

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref active) <= Options.MaxConcurrentDrains)
        {
            return true;
        }

        Interlocked.Decrement(ref active);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref active);
}

/// <summary>
/// One upstream stream's read token under the disconnect policy. Writes to a gone client are no-ops (<see cref="ClientResponse"/>);
/// reading goes on (drain) until the usage arrives or the bound hits, or stops at once (cancel). When the usage never came,
/// an estimate of what was delivered is billed: the request's size for the prompt, one token per event for the completion.
/// A provider's reported usage, zero included, is never replaced.
/// </summary>
public sealed class ClientDisconnect : IDisposable
{
    private readonly ProxyContext proxy;
    private readonly DisconnectDrains drains;
    private readonly CancellationTokenSource reading = new();
    private readonly CancellationTokenRegistration registration;
    private SseReader? reader;
    private long eventsAtDisconnect = -1;
    private bool draining;

    private ClientDisconnect(ProxyContext proxy, DisconnectDrains drains)
    {
        this.proxy = proxy;
        this.drains = drains;
        registration = proxy.Http.RequestAborted.Register(static state => ((ClientDisconnect)state!).OnClientGone(), this);
    }

    public CancellationToken Token => reading.Token;

    public static ClientDisconnect Start(ProxyContext proxy) =>
        new(proxy, proxy.Http.RequestServices.GetRequiredService<DisconnectDrains>());

    /// <summary>The reader whose events are counted for the estimate.</summary>
    public void Track(SseReader sseReader) => reader = sseReader;

    private void OnClientGone()
    {
        eventsAtDisconnect = reader?.Events ?? 0;
        if (drains.Options.Drains && drains.TryEnter())
        {
            draining = true;
            reading.CancelAfter(drains.Options.DisconnectDrainTimeout);
        }
        else
        {
            reading.Cancel();
        }
    }

    public void Dispose()
    {
        registration.Dispose();
        if (draining)
        {
            drains.Exit();
        }

        if (eventsAtDisconnect >= 0 && proxy.Usage is not { } known)
        {
            proxy.Usage = Estimate(default);
        }
        else if (eventsAtDisconnect >= 0 && reading.IsCancellationRequested && proxy.Usage is { } partial && partial.CompletionTokens == 0 && partial.PromptTokens > 0)
        {
            // Anthropic's message_start carries the prompt; the output count comes only at the end.
            proxy.Usage = Estimate(partial);
        }

        reading.Dispose();
    }

    private TokenUsage Estimate(TokenUsage known) => new(
        known.PromptTokens > 0 ? known.PromptTokens : Math.Max(1, (proxy.Http.Request.ContentLength ?? 0) / 4),
        Math.Max(known.CompletionTokens, eventsAtDisconnect));
}
