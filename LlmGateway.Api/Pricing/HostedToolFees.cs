using System.Text.Json;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// Hosted tools the provider bills per call, beyond tokens: a web search (Anthropic's <c>web_search_*</c> server tool, OpenAI's
/// Responses <c>web_search</c> tool, chat's <c>web_search_options</c> and the <c>*-search-preview</c> models), Anthropic's
/// web fetch, and OpenAI's Responses <c>file_search</c> (per call) and <c>code_interpreter</c> (per container). Fees come from
/// <c>model_info</c> (<see cref="ModelInfo.SearchContextCostPerQuery"/>, <see cref="ModelInfo.WebFetchCostPerQuery"/>,
/// <see cref="ModelInfo.FileSearchCostPer1kCalls"/>, <see cref="ModelInfo.CodeInterpreterCostPerSession"/>), else the
/// providers' list prices below.
/// </summary>
public static class HostedToolFees
{
    /// <summary>Anthropic: $10 per 1,000 searches.</summary>
    public const decimal AnthropicSearch = 0.01m;

    /// <summary>OpenAI's web search tool on GPT-4o and GPT-4.1 models: $25 per 1,000 calls.</summary>
    public const decimal OpenAiSearchGpt4 = 0.025m;

    /// <summary>OpenAI's web search tool on other models (GPT-5, o-series): $10 per 1,000 calls.</summary>
    public const decimal OpenAiSearch = 0.01m;

    /// <summary>OpenAI's search-preview chat models at the medium search context: $35 (mini: $27.50) per 1,000 queries.</summary>
    public const decimal OpenAiSearchPreview = 0.035m;

    public const decimal OpenAiMiniSearchPreview = 0.0275m;

    /// <summary>OpenAI's file search tool: $2.50 per 1,000 calls.</summary>
    public const decimal OpenAiFileSearch = 0.0025m;

    /// <summary>OpenAI's code interpreter: $0.03 per container (1 GB, the default).</summary>
    public const decimal OpenAiCodeInterpreter = 0.03m;

    /// <summary>The fee of one file search call on the deployment, unless <c>model_info</c> sets it: OpenAI's and Azure's, else none runs.</summary>
    public static decimal DefaultFileSearchFee(DeploymentConfig deployment) =>
        deployment.Provider is ProviderKind.OpenAI or ProviderKind.AzureOpenAI ? OpenAiFileSearch : 0m;

    /// <summary>The fee of one code interpreter session on the deployment, unless <c>model_info</c> sets it.</summary>
    public static decimal DefaultCodeInterpreterFee(DeploymentConfig deployment) =>
        deployment.Provider is ProviderKind.OpenAI or ProviderKind.AzureOpenAI ? OpenAiCodeInterpreter : 0m;

    /// <summary>The fee of one web search on the deployment, unless <c>model_info</c> sets it.</summary>
    public static decimal DefaultSearchFee(DeploymentConfig deployment) => deployment.Provider switch
    {
        ProviderKind.Anthropic => AnthropicSearch,
        ProviderKind.OpenAI or ProviderKind.AzureOpenAI => OpenAiFee(deployment.ProviderModel),
        _ => 0m, // other servers run no hosted tools
    };

    private static decimal OpenAiFee(string model) =>
        IsSearchModel(model) ? (model.Contains("mini", StringComparison.OrdinalIgnoreCase) ? OpenAiMiniSearchPreview : OpenAiSearchPreview)
        : model.StartsWith("gpt-4o", StringComparison.OrdinalIgnoreCase) || model.StartsWith("gpt-4.1", StringComparison.OrdinalIgnoreCase) ? OpenAiSearchGpt4
        : OpenAiSearch;

    /// <summary>OpenAI's search models (<c>gpt-4o-search-preview</c>, <c>gpt-5-search-api</c>, …) search on every chat request.</summary>
    public static bool SearchesEveryRequest(DeploymentConfig deployment) =>
        deployment.Provider is ProviderKind.OpenAI or ProviderKind.AzureOpenAI && IsSearchModel(deployment.ProviderModel);

    private static bool IsSearchModel(string model) => model.Contains("-search-", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The searches a chat completions answer of an OpenAI deployment was billed for: its usage does not count them, but a
    /// request with <c>web_search_options</c>, or to a search model, searches once.
    /// </summary>
    public static TokenUsage WithImpliedSearch(DeploymentConfig deployment, TokenUsage usage, bool chatWebSearch) =>
        usage.WebSearchRequests == 0 && deployment.Provider is ProviderKind.OpenAI or ProviderKind.AzureOpenAI
            && (chatWebSearch || SearchesEveryRequest(deployment))
            ? usage with { WebSearchRequests = 1 }
            : usage;
}

/// <summary>
/// The hosted tool calls a request may make, from its body: each <c>web_search*</c> / <c>web_fetch*</c> tool's
/// <c>max_uses</c> (Anthropic), a tool without one counting as the per-request ceiling
/// (<c>Gateway:Pricing:HostedToolCallCeiling</c>), a <c>file_search</c> tool the ceiling too, each <c>code_interpreter</c>
/// tool one session (its container), all capped by the Responses API's <c>max_tool_calls</c>; chat's
/// <c>web_search_options</c> is one search.
/// </summary>
public readonly record struct HostedToolCalls(long BoundedSearches, bool UnboundedSearch, long BoundedFetches, bool UnboundedFetch, long? MaxToolCalls, bool ChatWebSearch)
{
    public static HostedToolCalls None => default;

    /// <summary>A <c>file_search</c> tool: its calls are bounded only by the ceiling and <c>max_tool_calls</c>.</summary>
    public bool FileSearch { get; init; }

    /// <summary>The <c>code_interpreter</c> tools: a container each.</summary>
    public long CodeInterpreters { get; init; }

    public bool Any => BoundedSearches > 0 || UnboundedSearch || BoundedFetches > 0 || UnboundedFetch || ChatWebSearch || FileSearch || CodeInterpreters > 0;

    /// <summary>The calls (and sessions) at worst, a tool without <c>max_uses</c> counting <paramref name="ceiling"/> calls.</summary>
    public HostedToolUse Worst(long ceiling)
    {
        var searches = BoundedSearches + (UnboundedSearch ? ceiling : 0) + (ChatWebSearch ? 1 : 0);
        var fetches = BoundedFetches + (UnboundedFetch ? ceiling : 0);
        var fileSearches = FileSearch ? ceiling : 0;
        var max = MaxToolCalls ?? long.MaxValue; // a session needs a call too
        return new HostedToolUse(Math.Min(searches, max), Math.Min(fetches, max), Math.Min(fileSearches, max), Math.Min(CodeInterpreters, max));
    }

    /// <summary>The calls the body's tools, <c>max_tool_calls</c> and <c>web_search_options</c> allow.</summary>
    public static HostedToolCalls Of(JsonBody? body)
    {
        if (body is null)
        {
            return None;
        }

        var calls = None;
        if (body.TryGet("web_search_options", out var options) && options.Kind == JsonTokenType.StartObject)
        {
            calls = calls with { ChatWebSearch = true };
        }

        if (body.TryGet("max_tool_calls", out var max) && max.Kind == JsonTokenType.Number
            && long.TryParse(body.Raw(max), System.Globalization.CultureInfo.InvariantCulture, out var maxCalls) && maxCalls >= 0)
        {
            calls = calls with { MaxToolCalls = maxCalls };
        }

        foreach (var tool in body.HostedTools)
        {
            var (name, uses) = (tool.Type, tool.MaxUses);
            if (name.StartsWith("web_search", StringComparison.Ordinal))
            {
                calls = uses is { } s ? calls with { BoundedSearches = calls.BoundedSearches + s } : calls with { UnboundedSearch = true };
            }
            else if (name.StartsWith("web_fetch", StringComparison.Ordinal))
            {
                calls = uses is { } f ? calls with { BoundedFetches = calls.BoundedFetches + f } : calls with { UnboundedFetch = true };
            }
            else if (name == "file_search")
            {
                calls = calls with { FileSearch = true };
            }
            else if (name == "code_interpreter")
            {
                calls = calls with { CodeInterpreters = calls.CodeInterpreters + 1 };
            }
        }

        return calls;
    }
}
