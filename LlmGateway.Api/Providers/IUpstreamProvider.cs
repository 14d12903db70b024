using System.Diagnostics;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers;

/// <summary>
/// A provider's endpoint: where a deployment's requests go and how they authenticate, plus the <see cref="Adapter"/> of
/// the format it speaks. Sending and failure classification are shared (<see cref="UpstreamSender"/>).
/// </summary>
public interface IUpstreamProvider
{
    IUpstreamAdapter Adapter { get; }

    WireFormat Format => Adapter.Format;

    bool Supports(UpstreamOperation operation);

    /// <summary>The upstream request, body already in <see cref="Format"/>. No client header is copied into it.</summary>
    HttpRequestMessage CreateRequest(DeploymentConfig deployment, UpstreamOperation operation, ReadOnlyMemory<byte> body, UpstreamHeaders headers);
}

/// <summary>The few client headers a provider may pass on, validated (no CR, LF or NUL).</summary>
public readonly record struct UpstreamHeaders(string? AnthropicVersion, string? AnthropicBeta)
{
    /// <summary>The client's W3C trace context, when valid and the gateway records no span of its own to carry it.</summary>
    public ActivityContext? ClientTrace { get; init; }

    /// <summary>Only Anthropic's own version and its allowed beta flags pass, and only when they are plain tokens.</summary>
    public static UpstreamHeaders From(HttpRequest request, Anthropic.AnthropicBetas betas) => new(
        SafeToken(request.Headers["anthropic-version"].ToString()),
        betas.Filter(SafeToken(request.Headers["anthropic-beta"].ToString())))
    {
        ClientTrace = Activity.Current is null ? ClientTraceOf(request) : null,
    };

    /// <summary>
    /// Continues the client's trace upstream under a span id of the gateway's own, never the client's header copied. When the
    /// gateway records spans, HttpClient sends the current span's context instead (and this is not set); when it records none,
    /// no per-request Activity exists just to carry the client's context (ServiceDefaults), so it is carried here.
    /// </summary>
    public void AddTraceContext(HttpRequestMessage request)
    {
        if (ClientTrace is not { } trace)
        {
            return;
        }

        var flags = (trace.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
        request.Headers.TryAddWithoutValidation("traceparent",
            $"00-{trace.TraceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-{flags}");
        if (trace.TraceState is { Length: > 0 } state)
        {
            request.Headers.TryAddWithoutValidation("tracestate", state);
        }
    }

    private static ActivityContext? ClientTraceOf(HttpRequest request)
    {
        var parent = request.Headers["traceparent"].ToString();
        if (parent.Length == 0)
        {
            return null;
        }

        var state = request.Headers["tracestate"].ToString();
        var safeState = state.Length <= 512 && state.AsSpan().IndexOfAnyExceptInRange(' ', '~') < 0 ? state : null;
        // W3C: an all-zero trace id or parent id makes the header invalid.
        return ActivityContext.TryParse(parent, safeState, isRemote: true, out var context)
            && parent.AsSpan(3, 32).IndexOfAnyExcept('0') >= 0 && parent.AsSpan(36, 16).IndexOfAnyExcept('0') >= 0
            ? context
            : null;
    }

    private static string? SafeToken(string value)
    {
        if (value.Length is 0 or > 512)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or ' '))
            {
                return null;
            }
        }

        return value;
    }
}
