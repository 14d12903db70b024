using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Routing;

/// <summary>What a deployment must offer to serve a request: a context window, vision, tools.</summary>
public sealed record RouteRequest(UpstreamOperation Operation, JsonBody? Body)
{
    private PromptTokens.PromptEstimate? prompt;
    private bool? priority;
    private HostedToolCalls? hostedTools;
    private bool? audioOutput;

    /// <summary>The deployment to try first when it is available: the one that gave the answer this request continues.</summary>
    public string? PreferredDeploymentId { get; init; }

    /// <summary>The caller's key (null: the master key), whose model lists a fallback must pass.</summary>
    public Keys.KeyRecord? Key { get; init; }

    /// <summary>The request's own <c>fallbacks</c> (<see cref="RequestFallbacks"/>); null: the config's.</summary>
    public IReadOnlyList<string>? Fallbacks { get; init; }

    /// <summary>Whether the request has an image part, in any client format, however its JSON spells it (<see cref="MediaParts"/>).</summary>
    public bool UsesVision => Body is not null && Operation == UpstreamOperation.Chat
        && (prompt?.Images ?? MediaParts.Count(Body.Bytes.Span).Images) > 0;

    public bool UsesTools => Body is not null && Operation == UpstreamOperation.Chat
        && ((Body.TryGet("tools", out var tools) && tools.Kind == System.Text.Json.JsonTokenType.StartArray && tools.ValueEnd - tools.ValueStart > 2)
            || (Body.TryGet("functions", out var functions) && functions.Kind == System.Text.Json.JsonTokenType.StartArray));

    /// <summary>The prompt's tokens, estimated once per request (<see cref="PromptTokens"/>): what the reservation starts from.</summary>
    public long EstimatedPromptTokens => Prompt.Tokens;

    /// <summary>What of the estimate is inline PDFs' base64, a measure of their size that the context window bounds.</summary>
    public long InlineDocumentTokens => Prompt.InlineDocumentTokens;

    /// <summary>What of the estimate is inline audio clips' base64, a ceiling of their audio tokens that the context window bounds.</summary>
    public long InlineAudioTokens => Prompt.InlineAudioTokens;

    /// <summary>The estimate with each inline PDF at <see cref="PromptTokens.DocumentTokens"/>, audio left out: what the context-window check compares.</summary>
    public long FittingPromptTokens => Prompt.Fitting;

    /// <summary>
    /// The most prompt a deployment with this context window can bill the request: the estimate, its inline PDFs and audio
    /// bounded by the window (the provider refuses a longer prompt), never below <see cref="FittingPromptTokens"/>.
    /// </summary>
    public long PromptTokensAtMost(long? maxInputTokens) =>
        InlineDocumentTokens + InlineAudioTokens == 0 || maxInputTokens is not { } window ? EstimatedPromptTokens
            : Math.Max(FittingPromptTokens, Math.Min(EstimatedPromptTokens, window));

    /// <summary>
    /// Whether the answer may be audio, billed at the audio output rate: <c>modalities</c> naming <c>audio</c>, or an
    /// <c>audio</c> output setting (OpenAI's audio models speak only when asked).
    /// </summary>
    public bool AsksAudioOutput => audioOutput ??= WorstCaseRequest.AsksAudioOutput(Body);

    /// <summary><c>service_tier: "priority"</c>: every cost of the request is at the priority rates.</summary>
    public bool PriorityTier => priority ??= PremiumFeatures.AsksPriority(Body);

    /// <summary>The hosted tool calls the request may make (web search, web fetch), priced per call.</summary>
    public HostedToolCalls HostedTools => hostedTools ??= HostedToolCalls.Of(Body);

    /// <summary>How the request's usage is billed: the priority tier, chat's web search.</summary>
    public BillingTerms Billing => new(PriorityTier, Operation == UpstreamOperation.Chat && HostedTools.ChatWebSearch);

    /// <summary>Documents the body only refers to (a URL, a file id): their pages are not in the estimate (<see cref="MediaParts"/>).</summary>
    public int UnsizedDocuments => Prompt.UnsizedDocuments;

    private PromptTokens.PromptEstimate Prompt => prompt ??= Body is null ? default : PromptTokens.EstimateWithMedia(Body.Bytes.Span);

    /// <summary>The request's tags, whose model lists a fallback must pass too.</summary>
    public Tags.RequestTags? Tags { get; init; }

    /// <summary>The client's <c>anthropic-beta</c> header, whose premium flags a fallback must allow too.</summary>
    public string? AnthropicBeta { get; init; }

    /// <summary>The client API (<c>chat_completions</c>, <c>messages</c>, <c>responses</c>, …): where hosted tools run.</summary>
    public string CallType { get; init; } = "";

    /// <summary>
    /// Whether a fallback group may serve the request; one that may not is skipped. The checks the requested group passed
    /// before admission hold for it too (LitellmFieldAttackTests): the caller may use it (its key's, team's, user's and
    /// tags' model lists); its deployments allow every premium feature the request asks for (<see cref="PremiumFeatures"/>:
    /// a paid tier, a hosted tool its provider would run); and the key has no per-model limit on it (<c>model_rpm_limit</c>,
    /// <c>model_tpm_limit</c>), since the request was admitted against the requested group's counters only.
    /// </summary>
    public bool MayFallBackTo(Configuration.ModelGroup group) =>
        (Key?.MayUse(group.Name, group.AccessGroups) ?? true) && (Tags?.Allow(group.Name, group.AccessGroups) ?? true)
        && (Key is null || (!Key.ModelRpmLimit.ContainsKey(group.Name) && !Key.ModelTpmLimit.ContainsKey(group.Name)))
        && (Body is null || PremiumFeatures.Refusal(group, Body, AnthropicBeta, CallType) is null);
}
