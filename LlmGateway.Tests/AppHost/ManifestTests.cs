using System.Reflection;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.AppHost;

public sealed class ManifestTests
{
    [Fact]
    public async Task PublishedManifestDescribesContainersForTheStoresAndProjectsForTheApps()
    {
        var output = Path.Combine(Path.GetTempPath(), $"llmgw-manifest-{Guid.NewGuid():N}");
        try
        {
            await LocalProcess.RunAsync("dotnet",
                [AppHostDll(), "--publisher", "manifest", "--output-path", output],
                TimeSpan.FromMinutes(2));

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(
                Path.Combine(output, "aspire-manifest.json"), TestContext.Current.CancellationToken));
            var resources = manifest.RootElement.GetProperty("resources");
            Assert.StartsWith("container.", resources.GetProperty("postgres").GetProperty("type").GetString());
            Assert.StartsWith("container.", resources.GetProperty("redis").GetProperty("type").GetString());
            Assert.True(resources.TryGetProperty("gatewaydb", out _));
            Assert.StartsWith("project.", resources.GetProperty("api").GetProperty("type").GetString());
            Assert.StartsWith("project.", resources.GetProperty("admin").GetProperty("type").GetString());
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    /// <summary>The AppHost built beside this test assembly, in the same configuration.</summary>
    internal static string AppHostDll()
    {
        var configuration = typeof(ManifestTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
        {
            directory = directory.Parent;
        }

        var dll = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("LlmGateway.sln not found above the test folder"),
            "LlmGateway.AppHost", "bin", configuration, "net10.0", "LlmGateway.AppHost.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the AppHost first", dll);
    }
}
