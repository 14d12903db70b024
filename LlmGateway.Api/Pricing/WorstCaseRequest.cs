using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Pricing;

/// <summary>What the worst case of a request depends on, whatever its wire format.</summary>
/// <param name="PromptTokens">The prompt estimate (<see cref="Pricing.PromptTokens"/>), images and documents included.</param>
/// <param name="MaxTokens">The client's output limit; null: the model's ceiling.</param>
/// <param name="Choices">How many answers (chat's <c>n</c>).</param>
/// <param name="ThinkingBudget">Anthropic's <c>thinking.budget_tokens</c> as the client sent it.</param>
/// <param name="UnsizedDocuments">Documents only referred to by URL or file id (<see cref="MediaParts"/>).</param>
/// <param name="PriorityTier"><c>service_tier: "priority"</c>: priced at the priority rates.</param>
public readonly record struct WorstCaseRequest(
    long PromptTokens, long? MaxTokens, long Choices = 1, long? ThinkingBudget = null, int UnsizedDocuments = 0, bool PriorityTier = false)
{
    /// <summary>The hosted tool calls it may make, each billed its fee (<see cref="HostedToolCalls"/>).</summary>
    public HostedToolCalls HostedTools { get; init; }

    /// <summary>What of <see cref="PromptTokens"/> is inline PDFs' base64 (<see cref="Pricing.PromptTokens.PromptEstimate"/>): bounded by a deployment's context window.</summary>
    public long InlineDocumentTokens { get; init; }

    /// <summary>What of <see cref="PromptTokens"/> is inline audio clips' base64: bounded by the window, reserved at the audio input rate.</summary>
    public long InlineAudioTokens { get; init; }

    /// <summary>The answer may be audio (<see cref="AsksAudioOutput"/>): its output reserved at the audio output rate.</summary>
    public bool AudioOutput { get; init; }

    /// <summary>
    /// OpenAI's Predicted Outputs (<c>prediction</c>): the predicted tokens the answer does not use are billed as completion
    /// tokens (<c>rejected_prediction_tokens</c>) beyond <c>max_tokens</c>, so each choice's output may be that much longer
    /// (<see cref="PredictionTokensOf"/>).
    /// </summary>
    public long PredictionTokens { get; init; }

    /// <summary>The estimate of a <c>prediction</c>'s tokens (its JSON counted as text: a little above its content's), else 0.</summary>
    public static long PredictionTokensOf(JsonBody? body) =>
        body is not null && body.TryGet("prediction", out var prediction) && prediction.Kind != JsonTokenType.Null
            ? Pricing.PromptTokens.Estimate(body.Raw(prediction)) : 0;

    /// <summary>
    /// Whether the body asks for an audio answer: <c>modalities</c> naming <c>audio</c>, or an <c>audio</c> output setting
    /// (OpenAI's audio models speak only when asked; either one is taken as asking, so neither can be left out to pay less).
    /// </summary>
    public static bool AsksAudioOutput(JsonBody? body)
    {
        if (body is null)
        {
            return false;
        }

        if (body.TryGet("audio", out var audio) && audio.Kind == JsonTokenType.StartObject)
        {
            return true;
        }

        if (!body.TryGet("modalities", out var modalities) || modalities.Kind != JsonTokenType.StartArray)
        {
            return false;
        }

        var reader = body.ReaderFor(modalities);
        while (reader.Read() && reader.CurrentDepth > 0)
        {
            if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("audio"u8))
            {
                return true;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        return false;
    }

    /// <summary>The body's top-level <c>thinking.budget_tokens</c> (Messages, and chat bodies sent to Claude), else null.</summary>
    public static long? ThinkingBudgetOf(JsonBody? body)
    {
        if (body is null || !body.TryGet("thinking", out var thinking) || thinking.Kind != JsonTokenType.StartObject)
        {
            return null;
        }

        var reader = body.ReaderFor(thinking);
        while (reader.Read() && reader.CurrentDepth > 0)
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("budget_tokens"u8))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var budget) && budget > 0 ? budget : null;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1)
            {
                reader.Skip();
            }
        }

        return null;
    }
}
