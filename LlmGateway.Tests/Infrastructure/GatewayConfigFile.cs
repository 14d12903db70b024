namespace LlmGateway.Tests.Infrastructure;

/// <summary>A LiteLLM-format config written to a temp file for one test host; deleted on dispose.</summary>
public sealed class GatewayConfigFile : IDisposable
{
    public GatewayConfigFile(string yaml)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"llmgw-config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(Path, yaml);
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, string?> Settings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:ConfigFile"] = Path };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public void Dispose() => File.Delete(Path);
}
