using YamlDotNet.RepresentationModel;

namespace LlmGateway.Api.Configuration;

/// <summary>Reads <c>litellm_settings</c>, <c>router_settings</c> and <c>general_settings</c>; unread keys are warned about.</summary>
internal static class SettingsReader
{
    public static LitellmSettings Litellm(YamlSettingsMap? s, ConfigContext context)
    {
        if (s is null)
            return new LitellmSettings();
        var settings = new LitellmSettings
        {
            DropParams = s.Bool("drop_params") ?? false,
            Cache = s.Bool("cache") ?? false,
            CacheParams = Cache(s.Map("cache_params")),
            NumRetries = s.Int("num_retries"),
            RequestTimeout = s.PositiveSeconds("request_timeout"),
            Fallbacks = Fallbacks(s, "fallbacks", context),
            ContextWindowFallbacks = Fallbacks(s, "context_window_fallbacks", context),
            AllowedFails = s.Int("allowed_fails"),
            CooldownTime = s.Double("cooldown_time"),
            MaxEndUserBudget = s.Decimal("max_end_user_budget"),
        };
        s.ReportUnread();
        return settings;
    }

    public static RouterSettings Router(YamlSettingsMap? s)
    {
        if (s is null)
            return new RouterSettings();
        var settings = new RouterSettings
        {
            RoutingStrategy = s.String("routing_strategy")?.Trim() is { Length: > 0 } strategy ? strategy : RouterSettings.DefaultRoutingStrategy,
            NumRetries = s.Int("num_retries"),
            AllowedFails = s.Int("allowed_fails"),
            CooldownTime = s.Double("cooldown_time"),
            Timeout = s.PositiveSeconds("timeout"),
        };
        s.ReportUnread();
        return settings;
    }

    public static GeneralSettings General(YamlSettingsMap? s, out string? missingMasterKeyVariable)
    {
        missingMasterKeyVariable = null;
        if (s is null)
            return new GeneralSettings();
        var settings = new GeneralSettings
        {
            MasterKey = s.String("master_key", out missingMasterKeyVariable),
            DatabaseUrl = s.String("database_url"),
            Alerting = s.StringList("alerting"),
            AlertTypes = s.StringList("alert_types"),
            AlertingThreshold = s.PositiveSeconds("alerting_threshold"),
            HealthCheckInterval = s.Int("health_check_interval", min: 1),
            StoreModelInDb = s.Bool("store_model_in_db"),
        };
        s.ReportUnread();
        return settings;
    }

    private static CacheParams Cache(YamlSettingsMap? s)
    {
        if (s is null)
            return new CacheParams();
        var cache = new CacheParams
        {
            Type = s.String("type"),
            Host = s.String("host"),
            Port = s.Int("port", min: 1),
            Password = s.String("password"),
            Ttl = s.Int("ttl", min: 1) ?? 3600,
            Namespace = s.String("namespace"),
            Scope = s.String("scope"),
        };
        s.ReportUnread();
        return cache;
    }

    /// <summary>LiteLLM's shape: a list of one-key mappings, <c>[{"claude-sonnet": ["fast"]}]</c>.</summary>
    private static IReadOnlyList<FallbackRule> Fallbacks(YamlSettingsMap s, string key, ConfigContext context)
    {
        if (s.List(key) is not { } list)
            return [];
        var path = s.PathOf(key);
        var rules = new List<FallbackRule>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var itemPath = ConfigPath.Item(path, i);
            if (list.Children[i] is not YamlMappingNode mapping)
                throw new GatewayConfigException(itemPath, "expected a mapping of a model group to a list of model groups");
            var item = new YamlSettingsMap(mapping, itemPath, context);
            foreach (var group in item.Keys)
            {
                var targets = item.List(group, "a list of model groups") ?? throw item.Invalid(group, "expected a list of model groups");
                rules.Add(new FallbackRule(group, YamlSettingsMap.Strings(targets, item.PathOf(group), context)));
            }
        }
        return rules;
    }
}
