using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// A model's price per token (USD). Unknown prices are flagged, never silently $0. A cache rate left null is the input
/// rate: a cache read or write of a model with no cache price costs what the same token uncached costs.
/// </summary>
/// <param name="CachedInput">A prompt token read from the provider's prompt cache.</param>
/// <param name="CacheWrite">A prompt token written to the cache for five minutes (Anthropic's default).</param>
/// <param name="CacheWrite1h">A prompt token written to the cache for an hour; null: <paramref name="CacheWrite"/>'s rate.</param>
public readonly record struct Price(decimal Input, decimal Output, decimal? CachedInput, bool Known, decimal? CacheWrite = null, decimal? CacheWrite1h = null)
{
    public static readonly Price Unknown = new(0, 0, null, false);

    /// <summary>Over this many prompt tokens a request is billed at the long-context rates, every token of it (Anthropic).</summary>
    public const long LongContextThreshold = 200_000;

    /// <summary>Rates of a request whose prompt is over <see cref="LongContextThreshold"/>; null: the same rates.</summary>
    public (decimal Input, decimal Output)? LongContext { get; init; }

    /// <summary>Rates under <c>service_tier: "priority"</c>; null: twice the standard rates.</summary>
    public (decimal Input, decimal Output)? Priority { get; init; }

    /// <summary>One hosted web search, billed per call whatever the tier or the prompt's length (<see cref="HostedToolFees"/>).</summary>
    public decimal WebSearchFee { get; init; }

    /// <summary>One hosted web fetch.</summary>
    public decimal WebFetchFee { get; init; }

    /// <summary>One hosted file search call (OpenAI's <c>file_search</c> tool).</summary>
    public decimal FileSearchFee { get; init; }

    /// <summary>One code interpreter session: a container (OpenAI's <c>code_interpreter</c> tool).</summary>
    public decimal CodeInterpreterFee { get; init; }

    /// <summary>An audio prompt token (OpenAI's audio models); null: the input rate.</summary>
    public decimal? InputAudio { get; init; }

    /// <summary>An audio output token; null: the output rate.</summary>
    public decimal? OutputAudio { get; init; }

    public decimal InputAudioRate => InputAudio ?? Input;
    public decimal OutputAudioRate => OutputAudio ?? Output;

    public decimal CacheReadRate => CachedInput ?? Input;
    public decimal CacheWriteRate => CacheWrite ?? Input;
    public decimal CacheWrite1hRate => CacheWrite1h ?? CacheWriteRate;

    /// <summary>The dearest rate a prompt token can be billed at: a prompt may be written to the cache, never cheaper than input.</summary>
    public decimal WorstPromptRate => Math.Max(Input, Math.Max(CacheWriteRate, CacheWrite1hRate));

    /// <summary>Anthropic's published multiples of the input rate: a read 0.1×, a five-minute write 1.25×, an hour's write 2×.</summary>
    public static Price Anthropic(decimal input, decimal output) => new(input, output, input * 0.1m, true, input * 1.25m, input * 2m);

    /// <summary>
    /// Uncached input × input + reads × read rate + five-minute writes × write rate + hour writes × hour rate + output × output
    /// (reasoning tokens are inside the output) + each hosted tool call × its fee; audio tokens, inside the uncached input and
    /// the output, at the audio rates. Counts beyond the prompt are clamped: a usage never costs more than it says.
    /// </summary>
    public decimal Cost(TokenUsage usage) => ForPrompt(usage.PromptTokens).CostAtTheseRates(usage);

    /// <summary>The rates a prompt of this many tokens is billed at: the long-context rates past the threshold.</summary>
    public Price ForPrompt(long promptTokens) =>
        promptTokens > LongContextThreshold && LongContext is { } rates ? ScaledTo(rates.Input, rates.Output) : this;

    /// <summary>
    /// The rates of a request that asked for OpenAI's priority processing: the deployment's priority rates, else twice the
    /// standard ones (OpenAI's priority tier is 1.7–2× its standard rates), cache rates scaled alike.
    /// </summary>
    public Price AtPriority() => Known ? ScaledTo(Priority?.Input ?? Input * 2, Priority?.Output ?? Output * 2) : this;

    private decimal CostAtTheseRates(TokenUsage usage)
    {
        var prompt = Math.Max(0, usage.PromptTokens);
        var reads = Within(usage.CachedTokens, prompt);
        var writes = Within(usage.CacheWriteTokens, prompt - reads);
        var writes1h = Within(usage.CacheWrite1hTokens, writes);
        var uncached = prompt - reads - writes;
        var audioIn = Within(usage.AudioPromptTokens, uncached);
        var completion = Math.Max(0, usage.CompletionTokens);
        var audioOut = Within(usage.AudioCompletionTokens, completion);
        return (uncached - audioIn) * Input + audioIn * InputAudioRate + reads * CacheReadRate + (writes - writes1h) * CacheWriteRate
            + writes1h * CacheWrite1hRate + (completion - audioOut) * Output + audioOut * OutputAudioRate
            + HostedToolsCost(new HostedToolUse(usage.WebSearchRequests, usage.WebFetchRequests, usage.FileSearchCalls, usage.CodeInterpreterSessions));
    }

    /// <summary>What this many hosted tool calls cost on top of the tokens.</summary>
    public decimal HostedToolsCost(HostedToolUse use) =>
        Math.Max(0, use.Searches) * WebSearchFee + Math.Max(0, use.Fetches) * WebFetchFee + Math.Max(0, use.FileSearches) * FileSearchFee
        + Math.Max(0, use.Sessions) * CodeInterpreterFee;

    /// <summary>These cache rates as the same multiples of another input rate (a configured price of a model this table knows).</summary>
    public Price ScaledTo(decimal input, decimal output)
    {
        if (Input == 0)
        {
            return new Price(input, output, null, true) { InputAudio = InputAudio, OutputAudio = OutputAudio }.WithFeesOf(this);
        }

        // Multiply first: 0.1 × input stays exact where a ratio such as 1/3 would round.
        var from = Input;
        decimal? Scale(decimal? rate) => rate * input / from;
        // Audio rates are the table's list prices or model_info's own: a text rate configured lower says nothing of audio.
        return new Price(input, output, Scale(CachedInput), true, Scale(CacheWrite), Scale(CacheWrite1h))
        {
            InputAudio = InputAudio, OutputAudio = OutputAudio,
        }.WithFeesOf(this);
    }

    /// <summary>These rates with <paramref name="other"/>'s per-call fees: a hosted tool costs the same on every tier and prompt length.</summary>
    private Price WithFeesOf(Price other) => this with
    {
        WebSearchFee = other.WebSearchFee, WebFetchFee = other.WebFetchFee, FileSearchFee = other.FileSearchFee, CodeInterpreterFee = other.CodeInterpreterFee,
    };

    private static long Within(long count, long max) => Math.Max(0, Math.Min(count, max));
}

/// <summary>Hosted tool calls, each billed its fee (<see cref="Price.HostedToolsCost"/>): web searches and fetches, file searches, code interpreter sessions.</summary>
public readonly record struct HostedToolUse(long Searches, long Fetches, long FileSearches = 0, long Sessions = 0);

/// <summary>
/// Prices from <c>model_info</c>, else a built-in table of well-known Anthropic and OpenAI model ids
/// (list prices, USD per token, as published by the providers in 2025–2026).
/// </summary>
public sealed class PriceTable
{
    private static readonly FrozenDictionary<string, Price> BuiltIn = new Dictionary<string, Price>(StringComparer.OrdinalIgnoreCase)
    {
        ["claude-opus-4"] = Price.Anthropic(0.000015m, 0.000075m),
        ["claude-opus-4-1"] = Price.Anthropic(0.000015m, 0.000075m),
        ["claude-opus-4-5"] = Price.Anthropic(0.000005m, 0.000025m),
        ["claude-sonnet-4"] = Price.Anthropic(0.000003m, 0.000015m) with { LongContext = (0.000006m, 0.0000225m) },
        ["claude-sonnet-4-5"] = Price.Anthropic(0.000003m, 0.000015m) with { LongContext = (0.000006m, 0.0000225m) },
        ["claude-3-7-sonnet"] = Price.Anthropic(0.000003m, 0.000015m),
        ["claude-3-5-sonnet"] = Price.Anthropic(0.000003m, 0.000015m),
        ["claude-haiku-4-5"] = Price.Anthropic(0.000001m, 0.000005m),
        ["claude-3-5-haiku"] = Price.Anthropic(0.0000008m, 0.000004m),
        ["claude-3-haiku"] = new(0.00000025m, 0.00000125m, 0.00000003m, true, 0.0000003m, 0.0000005m),
        ["gpt-4o"] = new(0.0000025m, 0.00001m, 0.00000125m, true) { Priority = (0.00000425m, 0.000017m) },
        ["gpt-4o-mini"] = new(0.00000015m, 0.0000006m, 0.000000075m, true) { Priority = (0.00000025m, 0.000001m) },
        // Audio models: text at the first rates, audio at its own (not gpt-4o's, which the id's prefix would find).
        ["gpt-4o-audio-preview"] = new(0.0000025m, 0.00001m, null, true) { InputAudio = 0.00004m, OutputAudio = 0.00008m },
        ["gpt-4o-mini-audio-preview"] = new(0.00000015m, 0.0000006m, null, true) { InputAudio = 0.00001m, OutputAudio = 0.00002m },
        ["gpt-audio"] = new(0.0000025m, 0.00001m, null, true) { InputAudio = 0.000032m, OutputAudio = 0.000064m },
        ["gpt-audio-mini"] = new(0.0000006m, 0.0000024m, null, true) { InputAudio = 0.00001m, OutputAudio = 0.00002m },
        ["gpt-4.1"] = new(0.000002m, 0.000008m, 0.0000005m, true) { Priority = (0.0000035m, 0.000014m) },
        ["gpt-4.1-mini"] = new(0.0000004m, 0.0000016m, 0.0000001m, true) { Priority = (0.0000007m, 0.0000028m) },
        ["gpt-4.1-nano"] = new(0.0000001m, 0.0000004m, 0.000000025m, true) { Priority = (0.0000002m, 0.0000008m) },
        ["gpt-5"] = new(0.00000125m, 0.00001m, 0.000000125m, true) { Priority = (0.0000025m, 0.00002m) },
        ["gpt-5-mini"] = new(0.00000025m, 0.000002m, 0.000000025m, true) { Priority = (0.00000045m, 0.0000036m) },
        ["o3"] = new(0.000002m, 0.000008m, 0.0000005m, true) { Priority = (0.0000035m, 0.000014m) },
        ["o4-mini"] = new(0.0000011m, 0.0000044m, 0.000000275m, true) { Priority = (0.000002m, 0.000008m) },
        ["text-embedding-3-small"] = new(0.00000002m, 0, null, true),
        ["text-embedding-3-large"] = new(0.00000013m, 0, null, true),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // A deployment's config never changes (a reload or /model/update brings new ones): its price is worked out once, not per
    // request, and forgotten with the deployment (a weak table: replaced deployments are not kept alive by their prices).
    private readonly ConditionalWeakTable<DeploymentConfig, Computed> byDeployment = new();

    /// <summary>The one price computation of an answer: what <paramref name="usage"/> costs on the deployment; null when its price is unknown.</summary>
    /// <param name="terms">What the request asked for that changes the bill: the priority tier, chat's web search.</param>
    public decimal? CostOf(DeploymentConfig deployment, TokenUsage usage, BillingTerms terms = default) =>
        For(deployment) is { Known: true } price
            ? (terms.Priority ? price.AtPriority() : price).Cost(HostedToolFees.WithImpliedSearch(deployment, usage, terms.ChatWebSearch))
            : null;

    /// <summary>
    /// <c>model_info</c>'s rates where given; a configured input rate without cache rates gets the cache rates of
    /// <see cref="CacheRatesOf"/> as multiples of it; no configured input or output rate: the built-in price.
    /// </summary>
    public Price For(DeploymentConfig deployment) =>
        deployment.FromWildcard ? Compute(deployment) : byDeployment.GetValue(deployment, static d => new Computed(Compute(d))).Price;

    private sealed class Computed(Price price)
    {
        public Price Price { get; } = price;
    }

    private static Price Compute(DeploymentConfig deployment)
    {
        var info = deployment.ModelInfo;
        var builtIn = Lookup(deployment.ProviderModel);
        var price = info.InputCostPerToken is not null || info.OutputCostPerToken is not null
            ? CacheRatesOf(deployment, builtIn).ScaledTo(info.InputCostPerToken ?? 0, info.OutputCostPerToken ?? 0)
            : builtIn;
        return price.Known
            ? price with
            {
                CachedInput = info.CacheReadInputTokenCost ?? price.CachedInput,
                CacheWrite = info.CacheCreationInputTokenCost ?? price.CacheWrite,
                CacheWrite1h = info.CacheCreationInputTokenCostAbove1Hr ?? price.CacheWrite1h,
                LongContext = LongContextOf(deployment, price),
                Priority = Rates(info.InputCostPerTokenPriority, info.OutputCostPerTokenPriority, price.Priority ?? (price.Input * 2, price.Output * 2)),
                WebSearchFee = info.SearchContextCostPerQuery ?? HostedToolFees.DefaultSearchFee(deployment),
                WebFetchFee = info.WebFetchCostPerQuery ?? 0m,
                FileSearchFee = info.FileSearchCostPer1kCalls / 1000m ?? HostedToolFees.DefaultFileSearchFee(deployment),
                CodeInterpreterFee = info.CodeInterpreterCostPerSession ?? HostedToolFees.DefaultCodeInterpreterFee(deployment),
                InputAudio = info.InputCostPerAudioToken ?? price.InputAudio,
                OutputAudio = info.OutputCostPerAudioToken ?? price.OutputAudio,
            }
            : price;
    }

    /// <summary>
    /// <c>model_info</c>'s long-context rates, else the table's when the rates are the table's; an Anthropic deployment
    /// without either gets Anthropic's published rule (2× input, 1.5× output past 200,000 prompt tokens).
    /// </summary>
    private static (decimal Input, decimal Output)? LongContextOf(DeploymentConfig deployment, Price price)
    {
        var info = deployment.ModelInfo;
        var fromTable = info.InputCostPerToken is null && info.OutputCostPerToken is null ? price.LongContext : null;
        var anthropicRule = deployment.Provider == ProviderKind.Anthropic ? (price.Input * 2, price.Output * 1.5m) : ((decimal, decimal)?)null;
        var configured = Rates(info.InputCostPerTokenAbove200k, info.OutputCostPerTokenAbove200k, fromTable ?? anthropicRule ?? (price.Input, price.Output));
        return info.InputCostPerTokenAbove200k is null && info.OutputCostPerTokenAbove200k is null ? fromTable ?? anthropicRule : configured;
    }

    /// <summary>Configured rates over the fallback's, each rate on its own (a configured input rate alone keeps the fallback's output rate).</summary>
    private static (decimal Input, decimal Output) Rates(decimal? input, decimal? output, (decimal Input, decimal Output) fallback) =>
        (input ?? fallback.Input, output ?? fallback.Output);

    /// <summary>The table's rates for a model it knows, Anthropic's multiples for another Anthropic model, else none (input rate).</summary>
    private static Price CacheRatesOf(DeploymentConfig deployment, Price builtIn) =>
        builtIn.Known ? builtIn : deployment.Provider == ProviderKind.Anthropic ? Price.Anthropic(1, 1) : new Price(1, 1, null, true);

    /// <summary>Exact id, else the id without its date suffix (claude-sonnet-4-20250514 → claude-sonnet-4).</summary>
    public static Price Lookup(string modelId) => ModelIds.TryFind(BuiltIn, modelId, out var price) ? price : Price.Unknown;
}
