using System.Buffers;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Relay;

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
/// One upstream stream's read token under the disconnect policy. Once the client is gone, writes to it are discarded;
/// reading goes on (drain) until the usage arrives or the bound hits, or stops at once (cancel). When the usage never came,
/// an estimate of what was delivered is billed: the request's size for the prompt, one token per event for the completion.
/// A provider's reported usage, zero included, is never replaced.
/// </summary>
public sealed class ClientDisconnect : IDisposable
{
    private readonly HttpContext http;
    private readonly DisconnectDrains drains;
    private readonly CancellationTokenSource reading = new();
    private readonly CancellationTokenRegistration registration;
    private readonly CancellationToken revoked;
    private CancellationTokenRegistration revocation;
    private SseReader? reader;
    private long eventsAtDisconnect = -1;
    private bool draining;

    private ClientDisconnect(HttpContext http, DisconnectDrains drains, CancellationToken revoked)
    {
        this.http = http;
        this.drains = drains;
        registration = http.RequestAborted.Register(static state => ((ClientDisconnect)state!).OnClientGone(), this);
        this.revoked = revoked;
    }

    public CancellationToken Token => reading.Token;

    public bool ClientGone => http.RequestAborted.IsCancellationRequested;

    /// <summary>The caller's key (or team, or user) was blocked or deleted: reading stopped, the usage so far is billed.</summary>
    public bool Revoked { get; private set; }

    /// <param name="revoked">Cancelled when the caller is revoked (<see cref="ProxyContext.Revoked"/>).</param>
    public static ClientDisconnect Start(HttpContext http, CancellationToken revoked = default) =>
        new(http, http.RequestServices.GetRequiredService<DisconnectDrains>(), revoked);

    /// <summary>The reader whose events are counted for the estimate; from now on a revocation stops it.</summary>
    public void Track(SseReader sseReader)
    {
        reader = sseReader;
        // Registered once reads can fail inside the relay's try: a revocation that came already cancels at once.
        revocation = revoked.Register(static state => ((ClientDisconnect)state!).OnRevoked(), this);
    }

    /// <summary>The client's body writer; once the client is gone, what is written is dropped instead of buffered.</summary>
    public IBufferWriter<byte> ClientWriter(HttpContext context) => new GoneAwareWriter(context);

    /// <summary>Flushes; once the client is gone, nothing (a draining relay keeps reading the upstream for its usage).</summary>
    public async ValueTask FlushAsync(HttpContext context)
    {
        if (ClientGone)
        {
            return;
        }

        try
        {
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) when (ClientGone)
        {
            // the client left mid-flush
        }
    }

    /// <summary>The usage to bill: the provider's, or, when the client left before it arrived, an estimate.</summary>
    public TokenUsage? Settle(TokenUsage? usage)
    {
        if (eventsAtDisconnect < 0)
        {
            return usage;
        }

        if (usage is not { } known)
        {
            return Estimate(default);
        }

        // Anthropic's message_start carries the prompt; the output count comes only at the end. A revoked stream was cut
        // before its end: what was delivered is at least one token per event.
        return Revoked || (reading.IsCancellationRequested && known.CompletionTokens == 0 && known.PromptTokens > 0) ? Estimate(known) : known;
    }

    private void OnRevoked()
    {
        if (ClientGone)
        {
            return; // the disconnect policy already decides
        }

        eventsAtDisconnect = reader?.Events ?? 0;
        Revoked = true;
        reading.Cancel();
    }

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
        revocation.Dispose();
        if (draining)
        {
            drains.Exit();
        }

        reading.Dispose();
    }

    private TokenUsage Estimate(TokenUsage known) => known with
    {
        PromptTokens = known.PromptTokens > 0 ? known.PromptTokens : Math.Max(1, (http.Request.ContentLength ?? 0) / 4),
        CompletionTokens = Math.Max(known.CompletionTokens, eventsAtDisconnect),
    };

    /// <summary>Writes to the response until the client is gone, then into a scratch buffer that is thrown away.</summary>
    private sealed class GoneAwareWriter(HttpContext context) : IBufferWriter<byte>
    {
        private byte[] scratch = [];
        private bool discarding;

        public void Advance(int count)
        {
            if (!discarding)
            {
                context.Response.BodyWriter.Advance(count);
            }
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            discarding = context.RequestAborted.IsCancellationRequested;
            if (!discarding)
            {
                return context.Response.BodyWriter.GetMemory(sizeHint);
            }

            if (scratch.Length < Math.Max(sizeHint, 256))
            {
                scratch = new byte[Math.Max(sizeHint, 4096)];
            }

            return scratch;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
