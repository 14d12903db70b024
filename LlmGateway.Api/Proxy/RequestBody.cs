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
        if (request.ContentLength > limit)
        {
            return (null, GatewayError.BodyTooLarge(limit));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var initial = (int)Math.Clamp(request.ContentLength ?? 4096, 1, limit);
        var rented = ArrayPool<byte>.Shared.Rent(initial);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length >= limit)
                    {
                        // One more byte would tell us it is over; reading on would only waste memory.
                        var probe = new byte[1];
                        if (await request.Body.ReadAsync(probe, context.RequestAborted) > 0)
                        {
                            ArrayPool<byte>.Shared.Return(rented);
                            return (null, GatewayError.BodyTooLarge(limit));
                        }

                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, (long)rented.Length * 2));
                    rented.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = larger;
                }

                var read = await request.Body.ReadAsync(rented.AsMemory(length, (int)Math.Min(rented.Length, limit) - length), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(rented);
            return (null, GatewayError.BodyTooLarge(limit));
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

    public void Dispose()
    {
        var toReturn = Interlocked.Exchange(ref buffer, []);
        if (toReturn.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(toReturn);
        }
    }
}
