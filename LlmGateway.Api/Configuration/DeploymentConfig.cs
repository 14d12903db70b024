namespace LlmGateway.Api.Configuration;

/// <summary>
/// One <c>model_list</c> entry: a concrete upstream model that serves the model group <see cref="ModelName"/>.
/// <see cref="ToString"/> never includes <see cref="ApiKey"/>.
/// </summary>
public sealed record DeploymentConfig
{
    /// <summary>The model group name clients ask for (<c>model_name</c>).</summary>
    public required string ModelName { get; init; }
    /// <summary><c>model_info.id</c> when given, else a short hash of model_name, index and model: stable across restarts.</summary>
    public required string Id { get; init; }
    /// <summary>Position in the combined model list (YAML entries first, then <c>Gateway:ModelList</c>).</summary>
    public required int Index { get; init; }
    public required ProviderKind Provider { get; init; }
    /// <summary>The model id after the provider prefix; for Azure, the deployment name.</summary>
    public required string ProviderModel { get; init; }
    /// <summary>Secret: never log it. Null when not configured or its environment variable is unset.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Resolved base URL, always ending in '/' (see <see cref="ProviderEndpoints.ResolveBaseUrl"/>); null for <c>mock/</c>.</summary>
    public Uri? ApiBase { get; init; }
    public string? ApiVersion { get; init; }
    /// <summary>Ceiling sent upstream when the client sends no max_tokens.</summary>
    public int? MaxTokens { get; init; }
    /// <summary>Whole-request timeout (<c>timeout</c> seconds).</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>Idle timeout between stream chunks (<c>stream_timeout</c> seconds).</summary>
    public TimeSpan? StreamTimeout { get; init; }
    /// <summary>Time to the first byte of the response (our key <c>ttfb_timeout</c>, alias <c>first_byte_timeout</c>).</summary>
    public TimeSpan? FirstByteTimeout { get; init; }
    public int? Rpm { get; init; }
    public int? Tpm { get; init; }
    public double? Weight { get; init; }
    /// <summary>Lower is tried first; deployments without an order come after those with one.</summary>
    public int? Order { get; init; }
    /// <summary>Do not retry failures after which the provider may already have billed (our key <c>no_retry_when_possibly_billed</c>).</summary>
    public bool NoRetryWhenPossiblyBilled { get; init; }
    /// <summary>
    /// Send Responses API clients to the deployment's own <c>/v1/responses</c> (passed through) rather than translating
    /// them to chat completions (<c>use_responses_api</c>; default true for <c>openai/</c> and <c>azure/</c>, false for others).
    /// </summary>
    public bool UseResponsesApi { get; init; }
    /// <summary>
    /// Send legacy text completions clients to the deployment's own <c>/v1/completions</c>, passed through unchanged (every
    /// <c>prompt</c> form, <c>n</c>, <c>echo</c>, …), rather than translating them to chat (<c>use_completions_api</c>; default
    /// true for OpenAI's and Azure's completions models — <c>gpt-3.5-turbo-instruct</c>, <c>davinci-002</c>, <c>babbage-002</c>).
    /// </summary>
    public bool UseCompletionsApi { get; init; }
    public string? MockResponse { get; init; }
    public int? MockLatencyMs { get; init; }
    public MockFailure? MockFailure { get; init; }
    public ModelInfo ModelInfo { get; init; } = ModelInfo.Empty;
    /// <summary>Added at run time (<c>/model/new</c>) and kept in the database, not in the config file (LiteLLM's <c>db_model</c>).</summary>
    public bool StoredInDatabase { get; init; }
    /// <summary>A wildcard deployment's copy for one concrete model (<see cref="WildcardGroups"/>): made per model name, so never cached by itself.</summary>
    public bool FromWildcard { get; init; }

    public override string ToString() => $"{ModelName} #{Index} ({Provider}: {ProviderModel}, id {Id})";
}
