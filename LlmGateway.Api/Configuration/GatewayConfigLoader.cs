using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LlmGateway.Api.Configuration;

/// <summary>
/// Loads a LiteLLM-format <c>config.yaml</c> plus the .NET configuration section <c>Gateway</c>.
/// Precedence: <c>Gateway:MasterKey</c>, <c>Gateway:DropParams</c> and <c>Gateway:NumRetries</c> override the YAML's
/// <c>general_settings.master_key</c>, <c>litellm_settings.drop_params</c> and <c>litellm_settings.num_retries</c>;
/// <c>Gateway:ModelList:N</c> entries are appended after the YAML's <c>model_list</c> (their <c>Index</c> continues
/// the count). <c>os.environ/NAME</c> values are read through the injected environment wherever a value appears.
/// </summary>
public static class GatewayConfigLoader
{
    private static readonly string[] TopLevelKeys = ["model_list", "litellm_settings", "router_settings", "general_settings"];

    /// <summary>Loads and validates the configuration.</summary>
    /// <param name="yamlPath">The YAML file; null or empty means settings come only from <paramref name="gatewaySection"/>.</param>
    /// <param name="gatewaySection">The <c>Gateway</c> configuration section.</param>
    /// <param name="environment">Reads an environment variable (injected so tests never touch the real environment).</param>
    /// <exception cref="GatewayConfigException">Invalid configuration; the message is <c>path: reason</c>.</exception>
    public static GatewayConfigLoadResult Load(string? yamlPath, IConfiguration gatewaySection, Func<string, string?> environment)
    {
        var context = new ConfigContext(environment);
        var root = string.IsNullOrWhiteSpace(yamlPath) ? null : ReadFile(yamlPath, context);
        return Build(root, gatewaySection, context);
    }

    /// <summary>Loads from YAML text instead of a file; <paramref name="sourceName"/> stands for the file in errors.</summary>
    internal static GatewayConfigLoadResult LoadText(string yaml, IConfiguration gatewaySection, Func<string, string?> environment,
        string sourceName = "config.yaml")
    {
        var context = new ConfigContext(environment);
        return Build(Parse(new StringReader(yaml), sourceName, context), gatewaySection, context);
    }

    private static YamlSettingsMap? ReadFile(string path, ConfigContext context)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new GatewayConfigException(fullPath, "config file not found");
        using var reader = File.OpenText(fullPath);
        return Parse(reader, fullPath, context);
    }

    private static YamlSettingsMap? Parse(TextReader reader, string sourceName, ConfigContext context)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            var reason = (e.InnerException as YamlException ?? e).Message;
            var detail = reason.Contains("): ", StringComparison.Ordinal) ? reason[(reason.IndexOf("): ", StringComparison.Ordinal) + 3)..] : reason;
            throw new GatewayConfigException(sourceName, $"YAML syntax error at line {e.Start.Line}, column {e.Start.Column}: {detail}", e);
        }
        return stream.Documents.FirstOrDefault()?.RootNode switch
        {
            null => null,
            YamlMappingNode mapping => new YamlSettingsMap(mapping, "", context),
            YamlScalarNode scalar when YamlSettingsMap.IsNull(scalar) => null,
            _ => throw new GatewayConfigException(sourceName, "expected a mapping with model_list, litellm_settings, router_settings and general_settings at the top level"),
        };
    }

    private static GatewayConfigLoadResult Build(YamlSettingsMap? root, IConfiguration gatewaySection, ConfigContext context)
    {
        var sectionPath = gatewaySection is IConfigurationSection s ? s.Path : "Gateway";
        var gateway = new SectionSettingsMap(gatewaySection, sectionPath, context);

        var deployments = root is null ? [] : ReadModelList(root, context);
        var yamlCount = deployments.Count;
        deployments.AddRange(GatewaySection.ReadModelList(gatewaySection, sectionPath, yamlCount, context));
        CheckUniqueIds(deployments, d => d.Index < yamlCount
            ? ($"model_list[{d.Index}]", ".model_info.id")
            : ($"{sectionPath}:ModelList:{d.Index - yamlCount}", ":Id"));
        if (deployments.Count == 0)
            context.Warn("model_list is empty: no model deployments are configured");

        var litellm = SettingsReader.Litellm(root?.Map("litellm_settings"), context);
        litellm = litellm with
        {
            DropParams = gateway.Bool("drop_params") ?? litellm.DropParams,
            NumRetries = gateway.Int("num_retries") ?? litellm.NumRetries,
        };
        WarnAboutUnknownFallbackGroups(litellm, deployments, context);
        var router = SettingsReader.Router(root?.Map("router_settings"));
        var general = SettingsReader.General(root?.Map("general_settings"), out var missingMasterKeyVariable);
        var masterKey = gateway.String("master_key") ?? general.MasterKey;
        if (masterKey is null)
        {
            context.Warn(missingMasterKeyVariable is null
                ? "no master key is configured: set general_settings.master_key or Gateway:MasterKey"
                : $"general_settings.master_key: environment variable {missingMasterKeyVariable} is not set; no master key is configured");
        }

        if (root is not null)
        {
            foreach (var key in TopLevelKeys)
                root.Accept(key);
            root.ReportUnread();
        }

        var config = new GatewayConfig
        {
            Deployments = deployments,
            LitellmSettings = litellm,
            RouterSettings = router,
            GeneralSettings = general,
            MasterKey = masterKey,
            StoreModelInDb = gateway.Bool("store_model_in_db") ?? general.StoreModelInDb
                ?? string.Equals(context.Environment("STORE_MODEL_IN_DB")?.Trim(), "true", StringComparison.OrdinalIgnoreCase),
        };
        return new GatewayConfigLoadResult(config, context.Warnings());
    }

    private static List<DeploymentConfig> ReadModelList(YamlSettingsMap root, ConfigContext context)
    {
        var deployments = new List<DeploymentConfig>();
        if (root.List("model_list") is not { } list)
            return deployments;
        for (var i = 0; i < list.Children.Count; i++)
        {
            var path = ConfigPath.Item("model_list", i);
            if (list.Children[i] is not YamlMappingNode mapping)
                throw new GatewayConfigException(path, "expected a mapping with model_name and litellm_params");
            var entry = new YamlSettingsMap(mapping, path, context);
            var litellmParams = entry.Map("litellm_params") ?? throw entry.Invalid("litellm_params", "is required");
            var modelInfo = entry.Map("model_info");
            deployments.Add(DeploymentReader.Read(new DeploymentSource(i, entry, litellmParams, modelInfo), context));
            entry.ReportUnread();
            litellmParams.ReportUnread();
            modelInfo?.ReportUnread();
        }
        return deployments;
    }

    private static void CheckUniqueIds(List<DeploymentConfig> deployments, Func<DeploymentConfig, (string Entry, string IdKey)> pathOf)
    {
        var seen = new Dictionary<string, DeploymentConfig>(StringComparer.Ordinal);
        foreach (var deployment in deployments)
        {
            if (!seen.TryAdd(deployment.Id, deployment))
            {
                var (entry, idKey) = pathOf(deployment);
                throw new GatewayConfigException(entry + idKey, $"duplicate id '{deployment.Id}' (also used by {pathOf(seen[deployment.Id]).Entry})");
            }
        }
    }

    // A warning, not an error: LiteLLM accepts them, and the router simply has nothing to fall back to.
    private static void WarnAboutUnknownFallbackGroups(LitellmSettings litellm, List<DeploymentConfig> deployments, ConfigContext context)
    {
        var groups = deployments.Select(d => d.ModelName).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, rules) in new[] { ("fallbacks", litellm.Fallbacks), ("context_window_fallbacks", litellm.ContextWindowFallbacks) })
        {
            foreach (var name in rules.SelectMany(r => r.Fallbacks.Prepend(r.ModelGroup)).Where(n => !groups.Contains(n)).Distinct())
                context.Warn($"litellm_settings.{key}: model group '{name}' is not in the model list");
        }
    }
}
