using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Proxy;

/// <summary>Reading whole (non-stream) upstream bodies, and recognising in-band error payloads.</summary>
public static class UpstreamBody
{
    /// <summary>The usage a provider's whole JSON body reports, if any.</summary>
    public delegate TokenUsage? UsageReader(ReadOnlySpan<byte> json);

    /// <summary>
    /// Relays a whole body unchanged (with its length), reading its usage on the way. A read that fails, or an empty
    /// body, is the provider's failure: nothing has been sent to the client yet, so the request can fail over.
    /// </summary>
    public static async Task<ProviderFailure?> RelayWholeAsync(ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle, UsageReader readUsage)
    {
        var http = proxy.Http;
        byte[] buffer;
        int length;
        try
        {
            (buffer, length) = await ReadAllAsync(upstream, idle, http.RequestAborted);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
        {
            return ReadFailure(ex);
        }

        try
        {
            if (length == 0)
            {
                return new ProviderFailure(FailureKind.EmptyStream, 200, "the provider answered 200 with an empty body");
            }

            if (readUsage(buffer.AsSpan(0, length)) is { } usage)
            {
                proxy.Usage = usage;
            }

            proxy.Timings.UpstreamFirstByte = System.Diagnostics.Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
            ClientResponse.Start(proxy, stream: false);
            http.Response.ContentLength = length;
            await http.Response.Body.WriteAsync(buffer.AsMemory(0, length), http.RequestAborted);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads a whole body to translate it: the JSON object it holds (null when it is empty or not an object), with its
    /// usage taken from the raw bytes; a failed read is the provider's failure.
    /// </summary>
    public static async Task<(JsonObject? Json, ProviderFailure? Failure)> ReadObjectAsync(
        ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle, UsageReader readUsage)
    {
        var http = proxy.Http;
        byte[] buffer;
        int length;
        try
        {
            (buffer, length) = await ReadAllAsync(upstream, idle, http.RequestAborted);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
        {
            return (null, ReadFailure(ex));
        }

        try
        {
            var json = length == 0 ? null : JsonNode.Parse(buffer.AsSpan(0, length)) as JsonObject;
            if (json is not null && readUsage(buffer.AsSpan(0, length)) is { } usage)
            {
                proxy.Usage = usage;
            }

            return (json, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Answers the client with a translated whole body.</summary>
    public static async Task WriteTranslatedAsync(ProxyContext proxy, JsonObject body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, TranslationJson.Options);
        proxy.Timings.UpstreamFirstByte = System.Diagnostics.Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
        ClientResponse.Start(proxy, stream: false);
        proxy.Http.Response.ContentLength = bytes.Length;
        await proxy.Http.Response.Body.WriteAsync(bytes, proxy.Http.RequestAborted);
    }

    /// <summary>Reads the body into a pooled buffer; each read waits at most <paramref name="idle"/>.</summary>
    public static async Task<(byte[] Buffer, int Length)> ReadAllAsync(HttpResponseMessage response, TimeSpan idle, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(
            (int)Math.Clamp(response.Content.Headers.ContentLength ?? 8192, 256, 64 * 1024 * 1024) + 1);
        var length = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                timeout.CancelAfter(idle);
                int read;
                try
                {
                    read = await stream.ReadAsync(buffer.AsMemory(length), timeout.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"The upstream sent nothing for {idle.TotalSeconds:0.#} s.");
                }

                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>A read from the upstream that broke: idle too long (timeout), or the connection went away (reset).</summary>
    public static ProviderFailure ReadFailure(Exception exception) =>
        new(exception is TimeoutException ? FailureKind.Timeout : FailureKind.ConnectionReset, 502, exception.Message);

    /// <summary>
    /// An OpenAI <c>{"error":{…}}</c> or Anthropic <c>{"type":"error","error":{…}}</c> payload, as a failure
    /// classified from its type (e.g. <c>overloaded_error</c> → overloaded).
    /// </summary>
    public static ProviderFailure? AsInBandError(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\"error\""u8) < 0)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError && reader.TokenType == JsonTokenType.StartObject)
                {
                    string? message = null, type = null;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = reader.GetString();
                        reader.Read();
                        if (name == "message" && reader.TokenType == JsonTokenType.String)
                        {
                            message = reader.GetString();
                        }
                        else if (name == "type" && reader.TokenType == JsonTokenType.String)
                        {
                            type = reader.GetString();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }

                    var kind = type switch
                    {
                        "overloaded_error" => FailureKind.Overloaded,
                        "rate_limit_error" or "rate_limit_exceeded" or "requests" or "tokens" => FailureKind.RateLimited,
                        "invalid_request_error" => FailureKind.BadRequest,
                        _ => FailureKind.ServerError,
                    };
                    return new ProviderFailure(kind, 200, message ?? "in-band error from the provider", type);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
