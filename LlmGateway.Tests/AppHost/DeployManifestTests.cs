using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LlmGateway.Api.Configuration;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.AppHost;

/// <summary>What azd reads: the manifest the built AppHost publishes (<c>--publisher manifest</c>).</summary>
public sealed class DeployManifestTests
{
    private const string MasterKey = "sk-master-SENTINEL-never-published";
    private const string AnthropicKey = "sk-ant-SENTINEL-never-published";
    private const string OpenAiKey = "sk-openai-SENTINEL-never-published";
    private const string AdminPassword = "admin-SENTINEL-never-published";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostgresAndRedisAreContainersWithoutExternalEndpoints()
    {
        var (resources, _, _) = await PublishAsync();

        foreach (var name in new[] { "postgres", "redis" })
        {
            Assert.StartsWith("container.", Type(resources, name));
            Assert.All(resources.GetProperty(name).GetProperty("bindings").EnumerateObject(), binding =>
                Assert.False(binding.Value.TryGetProperty("external", out var external) && external.GetBoolean(), $"{name}.{binding.Name} is external"));
        }

        Assert.Equal("{postgres.connectionString};Database=gatewaydb", resources.GetProperty("gatewaydb").GetProperty("connectionString").GetString());
    }

    [Fact]
    public async Task ApiAndAdminAreProjectsWithExternalHttpEndpoints()
    {
        var (resources, _, _) = await PublishAsync();

        foreach (var name in new[] { "api", "admin" })
        {
            Assert.StartsWith("project.", Type(resources, name));
            var http = resources.GetProperty(name).GetProperty("bindings").GetProperty("http");
            Assert.True(http.GetProperty("external").GetBoolean(), $"{name} http is not external");
            Assert.Equal("true", Env(resources, name, "ASPNETCORE_FORWARDEDHEADERS_ENABLED"));
        }
    }

    [Fact]
    public async Task SecretsAreSecretParametersWhoseValuesNeverAppearInTheManifest()
    {
        var (resources, text, _) = await PublishAsync();

        foreach (var name in new[] { "master-key", "anthropic-api-key", "openai-api-key", "slack-webhook-url", "admin-password", "admin-key-ring-secret", "model-secrets-key", "postgres-password", "redis-password" })
        {
            Assert.Equal("parameter.v0", Type(resources, name));
            var input = resources.GetProperty(name).GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean(), $"{name} is not secret");
            Assert.False(input.TryGetProperty("value", out _), $"{name} has a published value");
        }

        Assert.DoesNotContain("SENTINEL", text);
        Assert.DoesNotContain("Gateway__ConfigFile", text); // a container can't read the AppHost's file
    }

    [Fact]
    public async Task TheApiReadsItsSecretsAndConnectionsFromParametersAndResources()
    {
        var (resources, _, _) = await PublishAsync();

        Assert.Equal("{master-key.value}", Env(resources, "api", "Gateway__MasterKey"));
        Assert.Equal("{anthropic-api-key.value}", Env(resources, "api", "ANTHROPIC_API_KEY"));
        Assert.Equal("{openai-api-key.value}", Env(resources, "api", "OPENAI_API_KEY"));
        Assert.Equal("{slack-webhook-url.value}", Env(resources, "api", "SLACK_WEBHOOK_URL")); // gateway.yaml alerts to slack
        Assert.Equal("{gatewaydb.connectionString}", Env(resources, "api", "ConnectionStrings__gatewaydb"));
        Assert.Equal("{redis.connectionString}", Env(resources, "api", "ConnectionStrings__redis"));
        Assert.Equal("{model-secrets-key.value}", Env(resources, "api", "Gateway__ModelSecretsKey"));
        Assert.Equal("{master-key.value}", Env(resources, "admin", "Gateway__MasterKey"));
        Assert.Equal("{admin-password.value}", Env(resources, "admin", "Admin__Password"));
        Assert.Equal("{admin-key-ring-secret.value}", Env(resources, "admin", "Admin__DataProtection__KeyRingSecret"));
        Assert.Equal("{redis.connectionString}", Env(resources, "admin", "ConnectionStrings__redis"));
    }

    [Fact]
    public async Task TheWholeGatewayYamlTravelsAsOneVariableWhoseKeysStillComeFromTheEnvironment()
    {
        var (resources, text, output) = await PublishAsync();

        var yaml = AzdValue(Env(resources, "api", "Gateway__ConfigYaml"));
        Assert.Equal(await File.ReadAllTextAsync(AppHostFile("gateway.yaml"), Ct), yaml);
        Assert.Contains("api_key: \"os.environ/ANTHROPIC_API_KEY\"", yaml);
        Assert.DoesNotContain(resources.GetProperty("api").GetProperty("env").EnumerateObject(), v => v.Name.StartsWith("Gateway__ModelList", StringComparison.Ordinal));
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SENTINEL", text);

        // What the Api makes of it in the container: every section, the key read from the variable azd fills.
        var loaded = GatewayConfigLoader.LoadText(yaml, new ConfigurationBuilder().Build(),
            name => name == "ANTHROPIC_API_KEY" ? "sk-ant-from-the-container" : null, "Gateway:ConfigYaml");
        Assert.Equal("sk-ant-from-the-container", loaded.Config.Deployments[0].ApiKey);
        Assert.Equal(["slack"], loaded.Config.GeneralSettings.Alerting);
        Assert.True(loaded.Config.LitellmSettings.DropParams);
    }

    [Fact]
    public async Task EverySectionOfACustomConfigIsPublishedWithItsBracesEscapedForTheManifest()
    {
        var file = Path.Combine(Path.GetTempPath(), $"llmgw-publish-{Guid.NewGuid():N}.yaml");
        const string yaml = """
            # {a comment} with braces }
            model_list:
              - model_name: "local"
                litellm_params:
                  model: "hosted_vllm/qwen"
                  api_base: "http://vllm:8000/v1"
                  api_key: "os.environ/VLLM_API_KEY"
              - model_name: "backup"
                litellm_params: {model: "mock/backup"}
            litellm_settings:
              fallbacks: [{"local": ["backup"]}]
              cooldown_time: 30
            router_settings:
              routing_strategy: "least-busy"
            general_settings:
              master_key: "os.environ/LITELLM_MASTER_KEY"
            """;
        await File.WriteAllTextAsync(file, yaml, Ct);
        try
        {
            var (resources, _, output) = await PublishAsync(withProviderKeys: false, $"Api:ConfigFile={file}");

            var published = Env(resources, "api", "Gateway__ConfigYaml");
            Assert.Equal(yaml.Replace("{", "{{").Replace("}", "}}"), published);
            Assert.Equal(yaml, AzdValue(published));
            Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
            foreach (var (variable, parameter) in new[] { ("VLLM_API_KEY", "vllm-api-key"), ("LITELLM_MASTER_KEY", "litellm-master-key") })
            {
                Assert.Equal($"{{{parameter}.value}}", Env(resources, "api", variable));
                Assert.True(resources.GetProperty(parameter).GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
            }

            var loaded = GatewayConfigLoader.LoadText(AzdValue(published), new ConfigurationBuilder().Build(), _ => null, "Gateway:ConfigYaml");
            Assert.Equal(["backup"], loaded.Config.LitellmSettings.Fallbacks.Single().Fallbacks);
            Assert.Equal("least-busy", loaded.Config.RouterSettings.RoutingStrategy);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ALiteralKeyInTheConfigStopsPublishingNamingItButNotItsValue()
    {
        const string literal = "sk-literal-key-never-echoed";
        var file = Path.Combine(Path.GetTempPath(), $"llmgw-publish-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, $"""
            model_list:
              - model_name: "gpt"
                litellm_params:
                  model: "openai/gpt-4o"
                  api_key: "{literal}"
            """, Ct);
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PublishAsync(withProviderKeys: false, $"Api:ConfigFile={file}"));

            Assert.Contains("a literal credential at model_list[0].litellm_params.api_key", error.Message);
            Assert.Contains("os.environ/NAME", error.Message);
            Assert.DoesNotContain(literal, error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task WithoutProviderKeysTheDemoConfigIsPublishedAndNoProviderKeyIsAskedFor()
    {
        var (resources, _, _) = await PublishAsync(withProviderKeys: false);

        Assert.Equal(await File.ReadAllTextAsync(AppHostFile("gateway.demo.yaml"), Ct), AzdValue(Env(resources, "api", "Gateway__ConfigYaml")));
        Assert.False(resources.TryGetProperty("anthropic-api-key", out _));
        Assert.False(resources.TryGetProperty("openai-api-key", out _));
    }

    /// <summary>The manifest format has no field for replicas or probes: they live on the app model, for publishers that read it.</summary>
    [Fact]
    public async Task ReplicasAndProbesAreOnThePublishedApiResource()
    {
        var output = Path.Combine(Path.GetTempPath(), $"llmgw-publish-model-{Guid.NewGuid():N}");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LlmGateway_AppHost>(
            ["--publisher", "manifest", "--output-path", output, "Api:Replicas=3"], Ct);
        await using var app = await builder.BuildAsync(Ct);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var api = model.Resources.Single(r => r.Name == "api");

        Assert.True(app.Services.GetRequiredService<DistributedApplicationExecutionContext>().IsPublishMode);
        Assert.Equal(3, api.Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
#pragma warning disable ASPIREPROBES001
        var probes = api.Annotations.OfType<EndpointProbeAnnotation>().ToDictionary(p => p.Type, p => p.Path);
        Assert.Equal("/health/liveliness", probes[ProbeType.Liveness]);
        Assert.Equal("/health/readiness", probes[ProbeType.Readiness]);
#pragma warning restore ASPIREPROBES001
    }

    private static string? Type(JsonElement resources, string name) => resources.GetProperty(name).GetProperty("type").GetString();

    private static string? Env(JsonElement resources, string resource, string variable) =>
        resources.GetProperty(resource).GetProperty("env").TryGetProperty(variable, out var value) ? value.GetString() : null;

    /// <summary>A manifest value as azd reads it when it has no expression: doubled braces are literal braces.</summary>
    private static string AzdValue(string? value) => (value ?? "").Replace("{{", "{").Replace("}}", "}");

    private static string AppHostFile(string name) =>
        Path.Combine(Path.GetDirectoryName(ManifestTests.AppHostDll())!, "..", "..", "..", name);

    private static async Task<(JsonElement Resources, string Text, string Output)> PublishAsync(bool withProviderKeys = true, params string[] settings)
    {
        var output = Path.Combine(Path.GetTempPath(), $"llmgw-deploy-manifest-{Guid.NewGuid():N}");
        try
        {
            // Secret values given the way a developer would (configuration), to prove none is written out.
            string[] secrets = [$"Parameters:master-key={MasterKey}", $"Parameters:admin-password={AdminPassword}"];
            string[] keys = withProviderKeys ? [$"ANTHROPIC_API_KEY={AnthropicKey}", $"OPENAI_API_KEY={OpenAiKey}"] : [];
            var log = await LocalProcess.RunAsync("dotnet",
                [ManifestTests.AppHostDll(), "--publisher", "manifest", "--output-path", output, .. secrets, .. keys, .. settings],
                TimeSpan.FromMinutes(2));
            var text = await File.ReadAllTextAsync(Path.Combine(output, "aspire-manifest.json"), Ct);
            return (JsonDocument.Parse(text).RootElement.GetProperty("resources").Clone(), text, log);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
