using LlmGateway.Admin.Components.Shared;
using LlmGateway.Admin.Services;

namespace LlmGateway.Admin.Components.Pages.Models;

/// <summary>The deployment dialog's fields, as typed, and their translation to the Api's request.</summary>
public sealed class ModelForm
{
    public string? ModelName { get; set; }
    public string? Model { get; set; }
    public string? ApiBase { get; set; }
    /// <summary>Typed once; empty on edit means "keep the stored key" (it is never shown).</summary>
    public string? ApiKey { get; set; }
    public string? ApiVersion { get; set; }
    public long? Rpm { get; set; }
    public long? Tpm { get; set; }
    public double? InputCostPerToken { get; set; }
    public double? OutputCostPerToken { get; set; }

    public static ModelForm From(ModelDeployment deployment) => new()
    {
        ModelName = deployment.ModelName,
        Model = deployment.LitellmParams?.Model,
        ApiBase = deployment.LitellmParams?.ApiBase,
        ApiVersion = deployment.LitellmParams?.ApiVersion,
        Rpm = deployment.LitellmParams?.Rpm,
        Tpm = deployment.LitellmParams?.Tpm,
        InputCostPerToken = deployment.ModelInfo?.InputCostPerToken,
        OutputCostPerToken = deployment.ModelInfo?.OutputCostPerToken,
    };

    /// <summary>Why the form cannot be sent as typed, or null.</summary>
    public string? Problem() => FormChecks.First(
        string.IsNullOrWhiteSpace(ModelName) ? "Model group is required." : null,
        string.IsNullOrWhiteSpace(Model) || !Model.Contains('/') ? "Provider model is required, with its provider: e.g. openai/gpt-4o." : null,
        FormChecks.NotNegative("Requests / min", Rpm),
        FormChecks.NotNegative("Tokens / min", Tpm),
        FormChecks.NotNegative("Input price", InputCostPerToken),
        FormChecks.NotNegative("Output price", OutputCostPerToken));

    public ModelRequest ToRequest(string? id) => new(
        ModelName?.Trim(),
        new ModelRequestParams
        {
            Model = Model?.Trim(), ApiBase = Text(ApiBase), ApiKey = Text(ApiKey), ApiVersion = Text(ApiVersion), Rpm = Rpm, Tpm = Tpm,
        },
        new ModelRequestInfo { Id = id, InputCostPerToken = InputCostPerToken, OutputCostPerToken = OutputCostPerToken });

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
