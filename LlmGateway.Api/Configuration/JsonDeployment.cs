using System.Text.Json.Nodes;

namespace LlmGateway.Api.Configuration;

/// <summary>Reads a deployment given as JSON (<c>model_name</c>, <c>litellm_params</c>, <c>model_info</c>), as the model list's entries are read.</summary>
public static class JsonDeployment
{
    /// <summary>The deployment, validated and with <c>os.environ/</c> references resolved; warnings (an unset variable) go to <paramref name="warnings"/>.</summary>
    /// <exception cref="GatewayConfigException">Invalid; the path names the field, e.g. <c>litellm_params.model</c>.</exception>
    public static DeploymentConfig Read(int index, string modelName, JsonObject litellmParams, JsonObject? modelInfo,
        Func<string, string?> environment, out IReadOnlyList<string> warnings, bool stored = true)
    {
        var context = new ConfigContext(environment);
        var entry = new JsonSettingsMap(new JsonObject { ["model_name"] = modelName }, "", context);
        var source = new DeploymentSource(index, entry,
            new JsonSettingsMap(litellmParams, "litellm_params", context), modelInfo is null ? null : new JsonSettingsMap(modelInfo, "model_info", context), stored);
        var deployment = DeploymentReader.Read(source, context);
        warnings = context.Warnings();
        return deployment;
    }
}
