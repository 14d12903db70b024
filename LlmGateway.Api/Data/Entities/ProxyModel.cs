namespace LlmGateway.Api.Data.Entities;

/// <summary>
/// A deployment added at run time (<c>/model/new</c>; LiteLLM's <c>LiteLLM_ProxyModelTable</c>). Its secret
/// <c>litellm_params</c> are never stored in the clear: they are in <see cref="EncryptedSecrets"/>.
/// </summary>
public sealed class ProxyModel
{
    /// <summary><c>model_info.id</c>.</summary>
    public required string ModelId { get; set; }
    public required string ModelName { get; set; }
    /// <summary><c>litellm_params</c> as JSON without the secret values (<c>os.environ/NAME</c> references are kept).</summary>
    public string LitellmParams { get; set; } = "{}";
    /// <summary><c>model_info</c> as JSON.</summary>
    public string ModelInfo { get; set; } = "{}";
    /// <summary>The secret parameters as JSON, sealed with AES-256-GCM (<see cref="Models.ModelSecrets"/>); null when there are none.</summary>
    public byte[]? EncryptedSecrets { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
