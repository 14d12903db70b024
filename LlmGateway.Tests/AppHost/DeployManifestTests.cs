using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LlmGateway.Tests.Infrastructure;
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
        var (resources, _) = await PublishAsync();

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
        var (resources, _) = await PublishAsync();

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
        var (resources, text) = await PublishAsync();

        foreach (var name in new[] { "master-key", "anthropic-api-key", "openai-api-key", "admin-password", "postgres-password", "redis-password" })
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
        var (resources, _) = await PublishAsync();

        Assert.Equal("{master-key.value}", Env(resources, "api", "Gateway__MasterKey"));
        Assert.Equal("{anthropic-api-key.value}", Env(resources, "api", "ANTHROPIC_API_KEY"));
        Assert.Equal("{openai-api-key.value}", Env(resources, "api", "OPENAI_API_KEY"));
        Assert.Equal("{gatewaydb.connectionString}", Env(resources, "api", "ConnectionStrings__gatewaydb"));
        Assert.Equal("{redis.connectionString}", Env(resources, "api", "ConnectionStrings__redis"));
        Assert.Equal("{master-key.value}", Env(resources, "admin", "Gateway__MasterKey"));
        Assert.Equal("{admin-password.value}", Env(resources, "admin", "Admin__Password"));
        Assert.Equal("{redis.connectionString}", Env(resources, "admin", "ConnectionStrings__redis"));
    }

    [Fact]
    public async Task TheGatewayConfigTravelsAsGatewaySectionVariablesThatStillReadKeysFromTheEnvironment()
    {
        var (resources, _) = await PublishAsync();

        Assert.Equal("claude-sonnet", Env(resources, "api", "Gateway__ModelList__0__ModelName"));
        Assert.Equal("anthropic/claude-sonnet-4-20250514", Env(resources, "api", "Gateway__ModelList__0__Model"));
        Assert.Equal("os.environ/ANTHROPIC_API_KEY", Env(resources, "api", "Gateway__ModelList__0__ApiKey"));
        Assert.Equal("0.000015", Env(resources, "api", "Gateway__ModelList__0__OutputCostPerToken"));
        Assert.Equal("openai/gpt-4o", Env(resources, "api", "Gateway__ModelList__1__Model"));
        Assert.Equal("fast", Env(resources, "api", "Gateway__ModelList__2__ModelName"));
        Assert.Equal("true", Env(resources, "api", "Gateway__DropParams"));
    }

    [Fact]
    public async Task WithoutProviderKeysTheDemoConfigIsPublishedAndNoProviderKeyIsAskedFor()
    {
        var (resources, _) = await PublishAsync(withProviderKeys: false);

        Assert.Equal("mock/claude-sonnet-4-20250514", Env(resources, "api", "Gateway__ModelList__0__Model"));
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

    private static async Task<(JsonElement Resources, string Text)> PublishAsync(bool withProviderKeys = true)
    {
        var output = Path.Combine(Path.GetTempPath(), $"llmgw-deploy-manifest-{Guid.NewGuid():N}");
        try
        {
            // Secret values given the way a developer would (configuration), to prove none is written out.
            string[] secrets = [$"Parameters:master-key={MasterKey}", $"Parameters:admin-password={AdminPassword}"];
            string[] keys = withProviderKeys ? [$"ANTHROPIC_API_KEY={AnthropicKey}", $"OPENAI_API_KEY={OpenAiKey}"] : [];
            await LocalProcess.RunAsync("dotnet",
                [ManifestTests.AppHostDll(), "--publisher", "manifest", "--output-path", output, .. secrets, .. keys],
                TimeSpan.FromMinutes(2));
            var text = await File.ReadAllTextAsync(Path.Combine(output, "aspire-manifest.json"), Ct);
            return (JsonDocument.Parse(text).RootElement.GetProperty("resources").Clone(), text);
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
