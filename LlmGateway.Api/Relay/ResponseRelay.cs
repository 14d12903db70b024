using System.Buffers;
using System.Diagnostics;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Relay;

/// <summary>
/// The one relay of every client/upstream pair, streamed or whole: reads the upstream under one read deadline, lets the
/// pair's <see cref="ResponseTranslation"/> write the client's bytes, commits the response at the first byte it has for
/// the client, turns in-band errors and broken streams into failures (before the commit) or client-format error events
/// (after it), and returns an explicit <see cref="RelayOutcome"/>.
/// </summary>
public static class ResponseRelay
{
    public static async Task<RelayOutcome> StreamAsync(RelayRequest request)
    {
        var http = request.Proxy.Http;
        var translation = request.Translation;
        var disconnect = request.Disconnect;
        using var deadline = new ReadDeadline(disconnect.Token, request.Idle, request.FirstByte);
        using var pending = new PooledBufferWriter();
        var writer = new SseWriter(pending);
        var committed = false;
        await using var body = await request.Upstream.Content.ReadAsStreamAsync(disconnect.Token);
        await using var reader = new SseReader(body, deadline);
        disconnect.Track(reader);
        try
        {
            while (await reader.ReadAsync())
            {
                var step = translation.OnEvent(new SseEvent(reader.EventName, reader.Data.Span, reader.Raw), writer, committed);
                if (!committed)
                {
                    if (BeforeCommit(request, step) is { } early)
                    {
                        return early;
                    }

                    if (pending.WrittenCount == 0)
                    {
                        continue;
                    }

                    committed = true;
                    writer = Commit(request, disconnect, pending);
                }

                if (step.Terminal)
                {
                    var outcome = await EndAsync(request, step, disconnect);
                    await DrainAsync(reader);
                    return outcome;
                }

                await disconnect.FlushAsync(http);
            }

            return committed
                ? await BrokenAsync(request, writer, disconnect, new ProviderFailure(FailureKind.ConnectionReset, 502, "the stream ended before its last event"))
                : request.Fail(Empty(), committed: false);
        }
        catch (Exception ex) when (!disconnect.Token.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
        {
            var failure = ReadFailure(ex);
            return committed ? await BrokenAsync(request, writer, disconnect, failure) : request.Fail(failure, committed: false);
        }
        catch (Exception ex) when ((disconnect.ClientGone || disconnect.Revoked) && ex is OperationCanceledException or IOException or HttpRequestException or TimeoutException)
        {
            // The client left and the drain ended (or the policy cancels): bill what the provider reported, else an estimate.
            return disconnect.ClientGone ? request.Left(disconnect.Settle(translation.Usage), committed) : await RevokedAsync(request, writer, disconnect, committed);
        }
    }

    /// <summary>
    /// A whole answer. A client gone while the provider works does not cancel the read (drain policy, bounded): the answer's
    /// own usage is billed, else an estimate of the prompt.
    /// </summary>
    public static async Task<RelayOutcome> BodyAsync(RelayRequest request)
    {
        var disconnect = request.Disconnect;
        byte[] buffer;
        int length;
        using (var deadline = new ReadDeadline(disconnect.Token, request.Idle, request.FirstByte))
        {
            try
            {
                (buffer, length) = await deadline.ReadAllAsync(request.Upstream);
            }
            catch (Exception ex) when (disconnect.ClientGone && ex is OperationCanceledException or IOException or HttpRequestException or TimeoutException)
            {
                return request.Left(disconnect.Settle(null), committed: false);
            }
            catch (Exception ex) when (!disconnect.Token.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
            {
                return request.Fail(ReadFailure(ex), committed: false);
            }
        }

        try
        {
            return await AnswerAsync(request, buffer.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<RelayOutcome> AnswerAsync(RelayRequest request, ReadOnlyMemory<byte> body)
    {
        var http = request.Proxy.Http;
        if (body.Length == 0)
        {
            return request.Fail(new ProviderFailure(FailureKind.EmptyStream, 200, "the provider answered 200 with an empty body"), committed: false);
        }

        if (request.Translation.OnBody(body) is not { } answer)
        {
            return request.Fail(new ProviderFailure(FailureKind.ServerError, 200, "the provider answered 200 without an answer object"), committed: false);
        }

        var usage = request.Translation.Usage;
        if (request.Disconnect.ClientGone)
        {
            return request.Left(request.Disconnect.Settle(usage), committed: false);
        }

        if (request.Capture is { } capture && usage is not null)
        {
            await capture(new CompletedAnswer(answer, null, usage));
        }

        request.Commit(stream: false, cost: usage is { } known ? request.CostOf?.Invoke(known) : null);
        request.Proxy.SetContentLength(answer.Length);
        try
        {
            await http.Response.Body.WriteAsync(answer, http.RequestAborted);
        }
        catch (Exception ex) when (request.Disconnect.ClientGone && ex is OperationCanceledException or IOException)
        {
            return request.Left(usage, committed: true); // the whole answer was made: its usage is billed
        }

        return request.Done(usage, null);
    }

    /// <summary>
    /// Reads what follows the last event (the end of the chunked body) after the client has everything: a body read to its
    /// end returns its connection to the pool, one left unread may cost a new connection on the next request.
    /// </summary>
    private static async Task DrainAsync(SseReader reader)
    {
        try
        {
            while (await reader.ReadAsync())
            {
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or TimeoutException or OperationCanceledException)
        {
            // the answer is complete: what the upstream does after its last event is not the client's concern
        }
    }

    /// <summary>Before the first byte: an in-band error or an empty answer is a failure the failover may move past.</summary>
    private static RelayOutcome? BeforeCommit(RelayRequest request, StreamStep step)
    {
        if (step.Error is { } early)
        {
            return request.Fail(InBandFailure(early), committed: false);
        }

        return step.Terminal && !request.Translation.Started ? request.Fail(Empty(), committed: false) : null;
    }

    /// <summary>The first byte: status and headers, then what was held back, straight to the client from now on.</summary>
    private static SseWriter Commit(RelayRequest request, ClientDisconnect disconnect, PooledBufferWriter pending)
    {
        request.Commit(stream: true, cost: null);
        var writer = new SseWriter(disconnect.ClientWriter(request.Proxy.Http));
        writer.Output.Write(pending.WrittenSpan);
        return writer;
    }

    /// <summary>The answer's last event: a complete answer goes to the cache before the last byte is flushed.</summary>
    private static async Task<RelayOutcome> EndAsync(RelayRequest request, StreamStep step, ClientDisconnect disconnect)
    {
        var translation = request.Translation;
        if (step.Error is null && request.Capture is { } capture && translation.Folder is { IsComplete: true } folder)
        {
            await capture(new CompletedAnswer(null, folder.Result, translation.Usage));
        }

        await disconnect.FlushAsync(request.Proxy.Http);
        return request.Done(disconnect.Settle(translation.Usage), step.Error is { } late ? InBandFailure(late) : null);
    }

    private static async Task<RelayOutcome> BrokenAsync(RelayRequest request, SseWriter writer, ClientDisconnect disconnect, ProviderFailure failure)
    {
        if (!disconnect.ClientGone)
        {
            request.Proxy.Client.WriteStreamError(writer, UpstreamErrors.MidStream(failure.Message));
            await disconnect.FlushAsync(request.Proxy.Http);
        }

        // The provider worked until the break: what was relayed is billed when no usage came.
        return request.Done(disconnect.Settle(request.Translation.Usage, brokenOff: true), failure);
    }

    /// <summary>The caller's key was blocked or deleted mid-answer: the client's own error event, the usage so far billed.</summary>
    private static async Task<RelayOutcome> RevokedAsync(RelayRequest request, SseWriter writer, ClientDisconnect disconnect, bool committed)
    {
        var failure = new ProviderFailure(FailureKind.KeyRevoked, StatusCodes.Status401Unauthorized, UpstreamErrors.Revoked.Message);
        if (!committed)
        {
            return request.Fail(failure, committed: false);
        }

        request.Proxy.Client.WriteStreamError(writer, UpstreamErrors.Revoked);
        await disconnect.FlushAsync(request.Proxy.Http);
        return request.Done(disconnect.Settle(request.Translation.Usage), failure);
    }

    /// <summary>A read from the upstream that broke: idle too long (timeout), or the connection went away (reset).</summary>
    private static ProviderFailure ReadFailure(Exception exception) =>
        new(exception is TimeoutException ? FailureKind.Timeout : FailureKind.ConnectionReset, 502, exception.Message);

    private static ProviderFailure Empty() => new(FailureKind.EmptyStream, 200, "the provider answered 200 with an empty stream");

    /// <summary>
    /// An error the provider put in its answer, classified from its type (e.g. <c>overloaded_error</c> → overloaded), or from
    /// its status where it gives one: vLLM and SGLang write <c>{"type":"BadRequestError","code":400}</c> for a failure the
    /// request's own input caused, the request's failure, which cools nothing down (NoisyNeighbourAttackTests).
    /// </summary>
    public static ProviderFailure InBandFailure(ResponseFailed error) => new(error.Type switch
    {
        "overloaded_error" => FailureKind.Overloaded,
        "rate_limit_error" or "rate_limit_exceeded" or "requests" or "tokens" => FailureKind.RateLimited,
        "invalid_request_error" or "BadRequestError" => FailureKind.BadRequest,
        _ => error.Status switch
        {
            429 => FailureKind.RateLimited,
            >= 400 and < 500 => FailureKind.BadRequest,
            _ => FailureKind.ServerError,
        },
    }, 200, error.Message, error.Type);
}

/// <summary>A complete answer for the response cache: the client's whole body, or a stream's folded events.</summary>
public sealed record CompletedAnswer(ReadOnlyMemory<byte>? Body, CanonicalResponse? Folded, TokenUsage? Usage);
