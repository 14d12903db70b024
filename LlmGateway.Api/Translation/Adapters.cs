using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Translation;

/// <summary>
/// A client format's way of writing an answer as a stream: one per response, fed every <see cref="ResponseEvent"/>
/// in order, writing zero or more SSE events in the format's exact grammar.
/// </summary>
public interface IClientStreamEncoder
{
    /// <summary>Writes what <paramref name="event"/> means to this client. A <see cref="ResponseFailed"/> ends the stream in the client's way.</summary>
    void Write(ResponseEvent @event, SseWriter output);
}

/// <summary>What a client stream encoder needs beyond the answer: whether the client asked for usage, and its price.</summary>
/// <param name="IncludeUsage">Chat completions' <c>stream_options.include_usage</c>: the final usage chunk is sent.</param>
/// <param name="CostOf">The price of a usage in USD, written as <c>usage.cost</c>; null when the price is unknown.</param>
public sealed record StreamEncoderOptions(bool IncludeUsage = false, Func<TokenUsage, decimal?>? CostOf = null);

/// <summary>A provider format's way of reading its stream: one per response, fed every upstream SSE event in order.</summary>
public interface IUpstreamStreamDecoder
{
    /// <summary>
    /// Decodes one event (<paramref name="eventName"/> may be empty; <paramref name="data"/> is the <c>data:</c> payload)
    /// into canonical events. The upstream's terminal event yields <see cref="ResponseCompleted"/>; an in-band error or
    /// a payload that is not JSON yields <see cref="ResponseFailed"/>.
    /// </summary>
    void Decode(string eventName, ReadOnlySpan<byte> data, List<ResponseEvent> output);
}

/// <summary>The deployment a canonical request is encoded for.</summary>
/// <param name="ProviderModel">The model id the provider knows (written as <c>model</c>).</param>
/// <param name="MaxTokensCeiling">The deployment's <c>max_tokens</c>: the output limit is clamped to it, and it is the default when the client set none.</param>
/// <param name="DropParams">LiteLLM's <c>drop_params</c>: what the provider cannot take is dropped instead of refused.</param>
public sealed record UpstreamTarget(string ProviderModel, long? MaxTokensCeiling = null, bool DropParams = false);
