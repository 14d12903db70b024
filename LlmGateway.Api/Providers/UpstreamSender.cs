using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LlmGateway.Api.Translation;
using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Providers;

/// <summary>
/// Sends one upstream attempt and waits for its response headers within the deployment's <c>timeout</c> (or its shorter
/// <c>ttfb_timeout</c>, which also bounds the first byte of the body: a stream's first event); every outcome comes back
/// classified, nothing is thrown across the proxy boundary (YARP's ForwarderError model).
/// </summary>
public sealed class UpstreamSender(UpstreamClients clients, GatewayConfig config)
{
    private const int MaxErrorBodyBytes = 64 * 1024;
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(600);

    /// <summary>Output tokens a second faster than any provider writes: a non-streamed answer longer than this rate allows cannot beat the timeout.</summary>
    private const int TokensPerSecondMost = 200;

    /// <summary>
    /// A non-streamed answer's headers come once it is all written, so a request that set no output limit
    /// (<c>max_tokens</c>, <c>max_completion_tokens</c>, <c>max_output_tokens</c>), or one larger than the deployment could
    /// write before the headers' timeout at <see cref="TokensPerSecondMost"/>, may time out whatever the deployment's health.
    /// Such a timeout is judged by the gateway's own ping (<see cref="Routing.DeploymentPings"/>) before it counts toward a
    /// cooldown — else a tenant could cool a deployment down for every other with a few long generations
    /// (NoisyNeighbourAttackTests, LeakAndCrossTenantAttackTests) —, and a hung deployment is still cooled down
    /// (FailoverTests). A stream, or a request whose limit fits in the timeout, times out only when the deployment is slow:
    /// counted at once.
    /// </summary>
    internal static bool MayOutlastTimeout(ReadOnlySpan<byte> body, TimeSpan timeout)
    {
        long? output = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var streamField = reader.ValueTextEquals("stream"u8);
                var outputField = reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8)
                    || reader.ValueTextEquals("max_output_tokens"u8);
                reader.Read();
                if (streamField && reader.TokenType == JsonTokenType.True)
                {
                    return false;
                }

                if (outputField && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var limit))
                {
                    output = Math.Max(output ?? 0, limit);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return output is not { } tokens || tokens > timeout.TotalSeconds * TokensPerSecondMost;
    }

    public async Task<UpstreamResponse> SendAsync(
        IUpstreamProvider provider, DeploymentConfig deployment, UpstreamOperation operation,
        ReadOnlyMemory<byte> body, UpstreamHeaders headers, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var timeout = deployment.Timeout
            ?? (config.LitellmSettings.RequestTimeout is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultTimeout);
        var firstByte = deployment.FirstByteTimeout is { } ttfb && ttfb < timeout ? ttfb : (TimeSpan?)null;
        using var request = provider.CreateRequest(deployment, operation, body, headers);
        headers.AddTraceContext(request);
        using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        headersTimeout.CancelAfter(firstByte ?? timeout);
        HttpResponseMessage response;
        try
        {
            response = await clients.For(deployment).SendAsync(request, headersTimeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return UpstreamResponse.Failed(new ProviderFailure(FailureKind.Timeout, 504, firstByte is { } limit
                ? $"no response headers within the ttfb_timeout of {limit.TotalSeconds:0.###} s"
                : $"no response headers within {timeout.TotalSeconds:0.#} s")
            {
                NothingReceived = true,
                Ambiguous = MayOutlastTimeout(body.Span, firstByte ?? timeout),
            }, Stopwatch.GetElapsedTime(started));
        }
        catch (HttpRequestException ex)
        {
            var kind = IsBeforeSend(ex) ? FailureKind.ConnectionFailed : FailureKind.ConnectionReset;
            return Failed(kind, 502, kind == FailureKind.ConnectionFailed
                ? $"could not connect to the provider ({ex.HttpRequestError})"
                : $"the connection to the provider broke ({ex.HttpRequestError})");
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        if (response.IsSuccessStatusCode)
        {
            // The rest of a ttfb_timeout bounds the body's first byte: the relay's read deadline applies it.
            return UpstreamResponse.Succeeded(response, elapsed);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var (message, type) = await ReadErrorAsync(response, headersTimeout.Token);
            return UpstreamResponse.Failed(
                new ProviderFailure(ProviderFailure.FromStatus(status, message), status, message, type)
                {
                    RetryAfter = RetryAfter(response),
                    RequestLevel = status == 429 && RateLimitCause.IsRequestLevel(response, message),
                },
                elapsed);
        }

        UpstreamResponse Failed(FailureKind kind, int status, string message) =>
            UpstreamResponse.Failed(new ProviderFailure(kind, status, message), Stopwatch.GetElapsedTime(started));
    }

    private static bool IsBeforeSend(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
        || ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable };

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null;
    }

    /// <summary>The provider's message and type from OpenAI's, Anthropic's or vLLM's flat error body.</summary>
    private static async Task<(string Message, string? Type)> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxErrorBodyBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), ct)) > 0)
            {
                length += read;
            }

            bytes = buffer[..length];
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException)
        {
            return ($"HTTP {(int)response.StatusCode} from the provider", null);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var error = root.TryGetProperty("error", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : root;
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return (message ?? $"HTTP {(int)response.StatusCode} from the provider", type);
        }
        catch (JsonException)
        {
            return ($"HTTP {(int)response.StatusCode} from the provider", null);
        }
    }
}
