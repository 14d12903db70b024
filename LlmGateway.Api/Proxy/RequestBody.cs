using System.Buffers;
using System.IO.Pipelines;
using LlmGateway.Api.Contracts;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// The client's request body in a pooled buffer, read up to a limit: a declared length over the limit is
/// refused before a byte is read, and a chunked body is cut off as soon as it passes the limit. The buffer grows
/// with what arrived (never the declared length up front), the whole body must arrive within the read deadline
/// (408), and only so many bodies are read at once (503): <see cref="BodyReadGate"/>.
/// </summary>
public sealed class RequestBody : IDisposable
{
    /// <summary>The first buffer: a declared length may be a lie, so memory follows the bytes that came.</summary>
    private const int FirstBuffer = 16 * 1024;

    private readonly BodyReadGate gate;
    private byte[] buffer;

    private RequestBody(BodyReadGate gate, byte[] buffer, int length)
    {
        this.gate = gate;
        this.buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, Length);

    public static async Task<(RequestBody? Body, GatewayError? Error)> ReadAsync(HttpContext context, long limit)
    {
        var gate = context.RequestServices.GetRequiredService<BodyReadGate>();
        if (!AcceptsDeclaredLength(context, limit))
        {
            return Refuse(context, GatewayError.BodyTooLarge(limit));
        }

        // Authentication came first (ProxyAuthentication): the key's share of the slots is known before its body is read.
        var key = context.Features.Get<Auth.Authentication>()?.Caller?.Key?.Token;
        if (!gate.TryEnter(key))
        {
            return Refuse(context, gate.Overloaded());
        }

        var bodyReader = context.Request.BodyReader;
        var reader = new Reader(gate, (int)Math.Clamp(context.Request.ContentLength ?? FirstBuffer, 1, Math.Min(limit, FirstBuffer)));
        try
        {
            // Most bodies arrived with their headers: taken as they are, without arming a deadline for them.
            var read = reader.ReadBuffered(bodyReader, limit) ?? await ReadWithDeadlineAsync(reader, bodyReader, limit, gate.Timeout, context.RequestAborted);
            if (read != Read.Complete)
            {
                reader.Release();
                return Refuse(context, read == Read.TooLarge ? GatewayError.BodyTooLarge(limit) : gate.TimedOut());
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Past the server's size limit, too slow for its minimum rate, or cut short by the client.
            reader.Release();
            return Refuse(context, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? GatewayError.BodyTooLarge(limit)
                : new GatewayError(ex.StatusCode, "invalid_request_error", $"The request body could not be read: {ex.Message}", null, "invalid_body"));
        }
        catch
        {
            reader.Release();
            throw;
        }
        finally
        {
            gate.Exit(key);
        }

        var body = new RequestBody(gate, reader.Buffer, reader.Length);
        context.Response.RegisterForDispose(body);
        return (body, null);
    }

    private static async Task<Read> ReadWithDeadlineAsync(Reader reader, PipeReader bodyReader, long limit, TimeSpan timeout, CancellationToken ct)
    {
        // The deadline cancels the pending read (not the read's token), which leaves the server's body reader usable.
        using var deadline = new CancellationTokenSource(timeout);
        using var onDeadline = deadline.Token.Register(bodyReader.CancelPendingRead);
        return await reader.ReadAllAsync(bodyReader, limit, ct);
    }

    /// <summary>Refuses a declared length over the limit, and has the server enforce the limit on an undeclared one.</summary>
    private static bool AcceptsDeclaredLength(HttpContext context, long limit)
    {
        if (context.Request.ContentLength > limit)
        {
            return false;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        return true;
    }

    private static (RequestBody? Body, GatewayError? Error) Refuse(HttpContext context, GatewayError error)
    {
        // The rest of the body is not read: the connection closes after the answer instead of draining it.
        context.Response.Headers.Connection = "close";
        return (null, error);
    }

    public void Dispose()
    {
        var toReturn = Interlocked.Exchange(ref buffer, []);
        if (toReturn.Length > 0)
        {
            gate.Hold(-toReturn.Length);
            ArrayPool<byte>.Shared.Return(toReturn);
        }
    }

    private enum Read
    {
        Complete,
        TooLarge,
        TimedOut,
    }

    /// <summary>The read loop over a pooled buffer that doubles (at most to the limit) as bytes arrive.</summary>
    private sealed class Reader
    {
        private readonly BodyReadGate gate;

        public Reader(BodyReadGate gate, int firstSize)
        {
            this.gate = gate;
            Buffer = ArrayPool<byte>.Shared.Rent(firstSize);
            gate.Hold(Buffer.Length);
        }

        public byte[] Buffer { get; private set; }

        public int Length { get; private set; }

        /// <summary>Takes what the server has buffered: the outcome when that was the whole body (or too much), else null.</summary>
        public Read? ReadBuffered(PipeReader body, long limit)
        {
            while (body.TryRead(out var result))
            {
                if (Take(body, result, limit) is { } outcome)
                {
                    return outcome;
                }
            }

            return null;
        }

        /// <summary>Reads to the end, or until the body passes the limit or the deadline cancels the pending read.</summary>
        public async Task<Read> ReadAllAsync(PipeReader body, long limit, CancellationToken ct)
        {
            while (true)
            {
                var result = await body.ReadAsync(ct);
                if (Take(body, result, limit) is { } outcome)
                {
                    return outcome;
                }
            }
        }

        /// <summary>Copies one read's bytes: the outcome when the body ended, passed the limit or was cancelled, else null.</summary>
        private Read? Take(PipeReader body, ReadResult result, long limit)
        {
            var bytes = result.Buffer;
            if (result.IsCanceled)
            {
                body.AdvanceTo(bytes.Start);
                return Read.TimedOut;
            }

            if (Length + bytes.Length > limit)
            {
                body.AdvanceTo(bytes.End);
                return Read.TooLarge;
            }

            while (Length + bytes.Length > Buffer.Length)
            {
                Grow(limit);
            }

            bytes.CopyTo(Buffer.AsSpan(Length));
            Length += (int)bytes.Length;
            body.AdvanceTo(bytes.End);
            return result.IsCompleted ? Read.Complete : null;
        }

        public void Release()
        {
            gate.Hold(-Buffer.Length);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
        }

        /// <summary>A pooled buffer twice as large (at most the limit) with the bytes read so far; the old one goes back to the pool.</summary>
        private void Grow(long limit)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, (long)Buffer.Length * 2));
            gate.Hold(larger.Length);
            Buffer.AsSpan(0, Length).CopyTo(larger);
            Release();
            Buffer = larger;
        }
    }
}
