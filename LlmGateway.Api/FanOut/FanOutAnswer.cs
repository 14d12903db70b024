using System.Buffers;
using System.Globalization;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.FanOut;

/// <summary>
/// The client's one answer from a fan-out's calls. Nothing reaches the client before every call has its first byte, so a call
/// that fails before it (after its own failover) is the client's error and no partial answer goes out; from then on each
/// call's chunks go out as they come, re-indexed, and a call that breaks ends the stream with the format's in-band error. Any
/// failure cancels the other calls.
/// </summary>
internal sealed class FanOutAnswer(ProxyContext proxy, FanOutPlan plan, bool stream, CancellationTokenSource stop)
{
    /// <summary>The gateway's headers of the call answering first, copied to the client's answer.</summary>
    private static readonly string[] CallHeaders =
        ["x-gateway-provider", "x-gateway-deployment", "x-litellm-model-id", "x-gateway-dropped-params", Failover.SkippedFallbacksHeader];

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly HttpContext?[] contexts = new HttpContext?[plan.Calls.Count];
    private readonly FanOutCallSink?[] sinks = new FanOutCallSink?[plan.Calls.Count];
    private readonly bool[] started = new bool[plan.Calls.Count];
    private readonly ArrayBufferWriter<byte> pending = new();
    private readonly ResponseIdentity identity = new(proxy.AnswerId, proxy.Group.Name, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    private int startedCalls;
    private bool committed;
    private bool ended;
    private int? failedCall;

    public FanOutPlan Plan => plan;

    /// <summary>What call <paramref name="index"/> sees as its client: the request's headers and services, its answer kept by a sink.</summary>
    public HttpContext ContextFor(int index)
    {
        var http = new DefaultHttpContext { TraceIdentifier = proxy.RequestId, RequestAborted = stop.Token, RequestServices = proxy.Http.RequestServices };
        foreach (var (name, value) in proxy.Http.Request.Headers)
        {
            http.Request.Headers[name] = value;
        }

        http.Request.Method = proxy.Http.Request.Method;
        http.Request.Path = proxy.Http.Request.Path;
        var sink = new FanOutCallSink(this, index, http.Response);
        http.Response.Body = sink;
        (contexts[index], sinks[index]) = (http, sink);
        return http;
    }

    /// <summary>One event of call <paramref name="index"/>'s stream: held until every call has started, then sent.</summary>
    public async Task OnEventAsync(int index, ReadOnlyMemory<byte> data)
    {
        await gate.WaitAsync();
        try
        {
            if (ended)
            {
                return;
            }

            startedCalls += started[index] ? 0 : 1;
            started[index] = true;
            if (IsError(data.Span))
            {
                await BrokenAsync(index, data);
                return;
            }

            plan.Encoder.WriteEvent(data.Span, index * plan.ChoicesPerCall, identity, new SseWriter(pending));
            if (!committed && startedCalls == contexts.Length)
            {
                Commit(cost: null);
            }

            if (committed)
            {
                await SendAsync();
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>A call is over: its whole answer is kept; a failure ends the client's answer with its error and cancels the rest.</summary>
    public async Task CallEndedAsync(int index, ProxyOutcome outcome)
    {
        await gate.WaitAsync();
        try
        {
            if (ended || proxy.Http.RequestAborted.IsCancellationRequested || (outcome is { Committed: true, Failure: null, ClientLeft: false }))
            {
                return;
            }

            (ended, failedCall) = (true, index);
            await stop.CancelAsync();
            if (committed)
            {
                proxy.Client.WriteStreamError(new SseWriter(pending), UpstreamErrors.MidStream(outcome.Failure?.Message ?? "a call of the request ended early"));
                await SendAsync();
                return;
            }

            // Before the client's first byte: the call's own error (status, Retry-After, body) is the client's.
            var (call, response) = (contexts[index]!.Response, proxy.Http.Response);
            var body = sinks[index]!.Whole;
            response.StatusCode = call.StatusCode >= 400 && body.Length > 0 ? call.StatusCode : StatusCodes.Status502BadGateway;
            response.ContentType = "application/json";
            if (call.Headers.RetryAfter is { Count: > 0 } retryAfter)
            {
                response.Headers.RetryAfter = retryAfter;
            }

            await WriteAsync(call.StatusCode >= 400 && body.Length > 0
                ? body
                : ErrorWriter.ToBytes(UpstreamErrors.MidStream(outcome.Failure?.Message ?? "a call of the request failed"), proxy.Format));
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Every call is over: the end of the stream, or the whole body; and the one outcome to settle and record.</summary>
    public async Task<ProxyOutcome> EndAsync(ProxyOutcome[] outcomes, Func<ProxyOutcome, decimal?> costOf)
    {
        TokenUsage? usage = null;
        decimal? cost = 0m;
        foreach (var outcome in outcomes)
        {
            usage = outcome.Usage is { } more ? Add(usage ?? default, more) : usage;
            cost += costOf(outcome);
        }

        var earlier = new EarlierAttempts(outcomes.Sum(o => o.Earlier.Cost), outcomes.Sum(o => o.Earlier.Tokens));
        if (!ended && !proxy.Http.RequestAborted.IsCancellationRequested)
        {
            await AnswerAsync(usage ?? default, cost + earlier.Cost);
        }

        var first = outcomes.FirstOrDefault(o => o.Deployment is not null);
        return new ProxyOutcome(first?.Deployment, outcomes.Sum(o => o.Attempts), usage, failedCall is { } failed ? outcomes[failed].Failure : null, committed)
        {
            ClientLeft = proxy.Http.RequestAborted.IsCancellationRequested,
            Earlier = earlier,
            CallsCost = cost,
        };
    }

    private async Task AnswerAsync(TokenUsage usage, decimal? cost)
    {
        if (stream)
        {
            plan.Encoder.WriteEnd(identity, usage, cost, plan.IncludeUsage, new SseWriter(pending));
            if (!committed)
            {
                Commit(cost: null);
            }

            await SendAsync();
            return;
        }

        var body = plan.Encoder.EncodeBody(sinks.Select(sink => sink!.Whole).ToArray(), plan.ChoicesPerCall, identity, usage);
        Commit(cost);
        proxy.SetContentLength(body.Length);
        await WriteAsync(body);
    }

    /// <summary>A call's in-band error: the client's error before its first byte, else the stream's last event.</summary>
    private async Task BrokenAsync(int index, ReadOnlyMemory<byte> error)
    {
        (ended, failedCall) = (true, index);
        await stop.CancelAsync();
        if (committed)
        {
            new SseWriter(pending).Data(error.Span);
            new SseWriter(pending).Done();
            await SendAsync();
            return;
        }

        pending.ResetWrittenCount();
        proxy.Http.Response.StatusCode = StatusCodes.Status502BadGateway;
        proxy.Http.Response.ContentType = "application/json";
        await WriteAsync(error);
    }

    /// <summary>The status and the gateway's headers: the first call's deployment, the attempts of all, the calls made.</summary>
    private void Commit(decimal? cost)
    {
        ClientResponse.Start(proxy, null, stream, cost);
        var headers = proxy.Http.Response.Headers;
        var first = contexts.First(c => c is not null)!.Response.Headers;
        foreach (var name in CallHeaders)
        {
            if (first.TryGetValue(name, out var value))
            {
                headers[name] = value;
            }
        }

        var attempts = contexts.Sum(c => int.TryParse(c?.Response.Headers["x-gateway-attempts"], CultureInfo.InvariantCulture, out var n) ? n : 0);
        headers["x-gateway-attempts"] = attempts.ToString(CultureInfo.InvariantCulture);
        headers[CallsHeader] = contexts.Length.ToString(CultureInfo.InvariantCulture);
        committed = true;
    }

    /// <summary>How many upstream calls answered the request.</summary>
    public const string CallsHeader = "x-gateway-upstream-calls";

    private async Task SendAsync()
    {
        await WriteAsync(pending.WrittenMemory);
        pending.ResetWrittenCount();
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await proxy.Http.Response.Body.WriteAsync(bytes, proxy.Http.RequestAborted);
            await proxy.Http.Response.Body.FlushAsync(proxy.Http.RequestAborted);
        }
        catch (Exception ex) when (proxy.Http.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            ended = true; // the client left: the calls are cancelled through the request's abort
        }
    }

    private static bool IsError(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && reader.Read() && reader.ValueTextEquals("error"u8);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static TokenUsage Add(TokenUsage a, TokenUsage b) => new(
        a.PromptTokens + b.PromptTokens, a.CompletionTokens + b.CompletionTokens, a.CachedTokens + b.CachedTokens, a.ReasoningTokens + b.ReasoningTokens,
        a.CacheWriteTokens + b.CacheWriteTokens, a.CacheWrite1hTokens + b.CacheWrite1hTokens, a.WebSearchRequests + b.WebSearchRequests,
        a.WebFetchRequests + b.WebFetchRequests);
}
