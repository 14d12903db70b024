namespace LlmGateway.Api.Configuration;

public static class ConfigurationServices
{
    /// <summary>
    /// Loads the LiteLLM-format config named by <c>Gateway:ConfigFile</c> (relative paths are tried against the current
    /// directory, then <see cref="AppContext.BaseDirectory"/>; empty means no YAML) together with the <c>Gateway</c>
    /// section, once, now. Registers <see cref="GatewayConfig"/> and <see cref="ModelCatalog"/> as singletons and logs
    /// each warning once when the host starts. An invalid config throws <see cref="GatewayConfigException"/>
    /// (<c>path: reason</c>) here, so the process stops at start-up rather than on the first request.
    /// Without a file, <c>Gateway:ConfigYaml</c> may carry the YAML itself (for containers, which cannot read the
    /// deployer's files).
    /// </summary>
    public static IHostApplicationBuilder AddGatewayConfiguration(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Gateway");
        var file = ResolveConfigFile(section["ConfigFile"], Directory.GetCurrentDirectory(), AppContext.BaseDirectory);
        var result = file is null && section["ConfigYaml"] is { Length: > 0 } yaml
            ? GatewayConfigLoader.LoadText(yaml, section, Environment.GetEnvironmentVariable, "Gateway:ConfigYaml")
            : GatewayConfigLoader.Load(file, section, Environment.GetEnvironmentVariable);

        builder.Services.AddSingleton(result);
        builder.Services.AddSingleton(result.Config);
        builder.Services.AddSingleton(new ModelCatalog(result.Config));
        builder.Services.AddHostedService<ConfigurationWarningLogger>();
        return builder;
    }

    /// <summary>The config file to load: null when none is configured; the first existing candidate otherwise.</summary>
    internal static string? ResolveConfigFile(string? configured, params string[] directories)
    {
        if (string.IsNullOrWhiteSpace(configured))
            return null;
        if (Path.IsPathRooted(configured))
            return configured;
        var candidates = directories.Select(d => Path.GetFullPath(Path.Combine(d, configured))).Distinct().ToArray();
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new GatewayConfigException("Gateway:ConfigFile", $"file '{configured}' not found (looked in {string.Join(", ", candidates)})");
    }
}
