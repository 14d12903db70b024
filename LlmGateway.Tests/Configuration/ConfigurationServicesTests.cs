using System.Collections.Concurrent;
using LlmGateway.Api.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Tests.Configuration;

public sealed class ConfigurationServicesTests : IDisposable
{
    private const string Yaml = """
        model_list:
          - model_name: demo
            litellm_params: { model: mock/demo, api_key: sk-never-logged, stream: true }
        general_settings: { master_key: sk-master-never-logged }
        """;

    private readonly string directory = Directory.CreateTempSubdirectory("gateway-config-").FullName;

    [Fact]
    public async Task ConfigAndCatalogAreRegisteredAndWarningsLoggedOnceAtStart()
    {
        var file = Path.Combine(directory, "config.yaml");
        await File.WriteAllTextAsync(file, Yaml, TestContext.Current.CancellationToken);
        var logs = new CapturingLoggerProvider();
        var builder = Builder(file);
        builder.Logging.AddProvider(logs);

        builder.AddGatewayConfiguration();
        using var host = builder.Build();
        Assert.Empty(logs.Entries);
        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal("demo", host.Services.GetRequiredService<GatewayConfig>().Deployments[0].ModelName);
        Assert.True(host.Services.GetRequiredService<ModelCatalog>().TryGetGroup("demo", out _));
        var entry = Assert.Single(logs.Entries);
        Assert.Equal(("LlmGateway.Configuration", LogLevel.Warning), (entry.Category, entry.Level));
        Assert.Contains("model_list[0].litellm_params.stream is not supported and is ignored", entry.Message);
        Assert.DoesNotContain("never-logged", string.Join("\n", logs.Entries.Select(e => e.Message)));
    }

    [Fact]
    public async Task InvalidConfigStopsRegistrationWithPathAndReason()
    {
        var file = Path.Combine(directory, "bad.yaml");
        await File.WriteAllTextAsync(file, Yaml.Replace("mock/demo", "antropic/claude"), TestContext.Current.CancellationToken);

        var error = Assert.Throws<GatewayConfigException>(() => Builder(file).AddGatewayConfiguration());

        Assert.Equal("model_list[0].litellm_params.model: unknown provider 'antropic'", error.Message);
    }

    [Fact]
    public void EmptyConfigFileSettingMeansNoYaml()
    {
        var builder = Builder("");

        builder.AddGatewayConfiguration();

        using var host = builder.Build();
        Assert.Empty(host.Services.GetRequiredService<GatewayConfig>().Deployments);
    }

    [Fact]
    public void RelativeConfigFileIsFoundInTheFirstDirectoryThatHasIt()
    {
        var other = Directory.CreateDirectory(Path.Combine(directory, "base")).FullName;
        File.WriteAllText(Path.Combine(other, "config.yaml"), Yaml);

        Assert.Equal(Path.Combine(other, "config.yaml"), ConfigurationServices.ResolveConfigFile("config.yaml", directory, other));
        Assert.Null(ConfigurationServices.ResolveConfigFile(" ", directory, other));
    }

    [Fact]
    public void MissingRelativeConfigFileNamesEveryPlaceLookedIn()
    {
        var error = Assert.Throws<GatewayConfigException>(() => ConfigurationServices.ResolveConfigFile("nope.yaml", directory, "/elsewhere"));

        Assert.Equal($"Gateway:ConfigFile: file 'nope.yaml' not found (looked in {Path.Combine(directory, "nope.yaml")}, /elsewhere/nope.yaml)", error.Message);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static HostApplicationBuilder Builder(string configFile)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:ConfigFile"] = configFile });
        return builder;
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, Entries);

        public void Dispose() { }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (category.StartsWith("LlmGateway", StringComparison.Ordinal))
                entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
