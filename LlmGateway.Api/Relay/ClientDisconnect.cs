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
/// One upstream attempt's token under the disconnect policy, from sending the request to the answer's last byte. Once the
/// client is gone, writes to it are discarded; waiting and reading go on (drain) until the usage arrives or the bound hits,
/// or stop at once (cancel). When the usage never came, an estimate of the work is billed: the prompt estimate of the body
/// the gateway read, and one token per event read from the provider for the completion. A provider's final usage, zero
/// included, is never replaced; a partial one (a stream cut before its final usage) is never billed below the estimate.
/// </summary>
public sealed class ClientDisconnect : IDisposable
{
    private readonly HttpContext http;
    private readonly DisconnectDrains drains;
    private readonly Func<long> promptEstimate;
    private readonly CancellationTokenSource reading = new();
    private readonly CancellationTokenRegistration registration;
    private readonly CancellationToken revoked;
    private CancellationTokenRegistration revocation;
    private SseReader? reader;
    private long eventsAtDisconnect = -1;
    private bool draining;

    private ClientDisconnect(HttpContext http, DisconnectDrains drains, Func<long> promptEstimate, CancellationToken revoked)
    {
        this.http = http;
        this.drains = drains;
        this.promptEstimate = promptEstimate;
        this.revoked = revoked;
        registration = http.RequestAborted.Register(static state => ((ClientDisconnect)state!).OnClientGone(), this);
    }

    public CancellationToken Token => reading.Token;

    public bool ClientGone => http.RequestAborted.IsCancellationRequested;

    /// <summary>The client left while this attempt was under way.</summary>
    public bool Left => Volatile.Read(ref eventsAtDisconnect) >= 0;

    /// <summary>The caller's key (or team, or user) was blocked or deleted: reading stopped, the usage so far is billed.</summary>
    public bool Revoked { get; private set; }

    /// <summary>Starts before the request is sent; <paramref name="promptEstimate"/> is the body's prompt tokens, asked only for an estimate.</summary>
    /// <param name="revoked">Cancelled when the caller is revoked (<see cref="ProxyContext.Revoked"/>).</param>
    public static ClientDisconnect Start(HttpContext http, Func<long> promptEstimate, CancellationToken revoked = default) =>
        new(http, http.RequestServices.GetRequiredService<DisconnectDrains>(), promptEstimate, revoked);

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

    /// <summary>
    /// The usage to bill: the provider's, or, when the client left or the answer broke off (<paramref name="brokenOff"/>: a
    /// timeout or a reset after the request was sent) before it arrived, an estimate.
    /// </summary>
    public TokenUsage? Settle(TokenUsage? usage, bool brokenOff = false)
    {
        if (!Left && !brokenOff && !Revoked)
        {
            return usage;
        }

        // Every event read from the provider, those drained after the client left included: the provider bills them all.
        var read = Math.Max(reader?.Events ?? 0, eventsAtDisconnect);
        if (usage is not { } known)
        {
            return Estimate(default, read);
        }

        // A stream cut before its final usage has only Anthropic's message_start: the prompt and output_tokens 1 (or 0), so
        // its output is at least one token per event read. A final usage (OpenAI's last chunk, Anthropic's message_delta)
        // read before the cut is billed as reported; only a one-token answer cut before its end event cannot be told apart.
        var cutShort = brokenOff || reading.IsCancellationRequested;
        return Revoked || (cutShort && known.CompletionTokens <= 1) ? Estimate(known, read) : known;
    }

    private void OnRevoked()
    {
        if (ClientGone)
        {
            return; // the disconnect policy already decides
        }

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

    private TokenUsage Estimate(TokenUsage known, long delivered) => known with
    {
        PromptTokens = known.PromptTokens > 0 ? known.PromptTokens : Math.Max(1, promptEstimate()),
        CompletionTokens = Math.Max(known.CompletionTokens, delivered),
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
