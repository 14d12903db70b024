using System.Buffers;
using LlmGateway.Api.Contracts;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// The client's request body in a pooled buffer, read up to a limit: a declared length over the limit is
/// refused before a byte is read, and a chunked body is cut off as soon as it passes the limit.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[] buffer;

    private RequestBody(byte[] buffer, int length)
    {
        this.buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, Length);

    public static async Task<(RequestBody? Body, GatewayError? Error)> ReadAsync(HttpContext context, long limit)
    {
        var request = context.Request;
        if (!AcceptsDeclaredLength(context, limit))
        {
            return (null, GatewayError.BodyTooLarge(limit));
        }

        var rented = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 4096, 1, limit));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == rented.Length && length < limit)
                {
                    rented = Grow(rented, length, limit);
                }

                // Full at the limit: one more byte would tell us it is over; reading on would only waste memory.
                var atLimit = length == rented.Length;
                var read = await request.Body.ReadAsync(
                    atLimit ? new byte[1] : rented.AsMemory(length, (int)Math.Min(rented.Length, limit) - length), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                if (atLimit)
                {
                    return TooLarge(rented, limit);
                }

                length += read;
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(rented, limit);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }

        var body = new RequestBody(rented, length);
        context.Response.RegisterForDispose(body);
        return (body, null);
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

    private static (RequestBody? Body, GatewayError? Error) TooLarge(byte[] rented, long limit)
    {
        ArrayPool<byte>.Shared.Return(rented);
        return (null, GatewayError.BodyTooLarge(limit));
    }

    /// <summary>A pooled buffer twice as large (at most the limit) with the bytes read so far; the old one goes back to the pool.</summary>
    private static byte[] Grow(byte[] rented, int length, long limit)
    {
        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, (long)rented.Length * 2));
        rented.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(rented);
        return larger;
    }

    public void Dispose()
    {
        var toReturn = Interlocked.Exchange(ref buffer, []);
        if (toReturn.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(toReturn);
        }
    }
}
