using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace LlmGateway.AppHost;

/// <summary>
/// The LiteLLM-format config the Api gets. Run mode hands it the file's path; a published container cannot read the
/// AppHost's files, so publish mode hands it the file's whole text as <c>Gateway__ConfigYaml</c>. Secrets in it stay
/// <c>os.environ/NAME</c> references, which the Api resolves from variables wired to secret parameters.
/// </summary>
internal sealed partial class GatewayConfigSource
{
    // Keys whose value is a credential: published, a literal one would be written into the manifest.
    private static readonly string[] SecretKeys = ["api_key", "master_key", "database_url", "password", "slack_webhook_url", "aws_secret_access_key", "aws_session_token"];
    private static readonly string[] SecretKeySuffixes = ["_api_key", "_password", "_secret", "_secret_key", "_webhook_url"];

    private GatewayConfigSource(string path, string text, YamlMappingNode? root)
    {
        Path = path;
        Text = text;
        Root = root;
    }

    /// <summary>The YAML file in the AppHost's folder.</summary>
    public string Path { get; }

    /// <summary>The file's text, as it is (comments included).</summary>
    public string Text { get; }

    private YamlMappingNode? Root { get; }

    /// <summary>
    /// <c>Api:ConfigFile</c> when set (relative to the AppHost's folder); otherwise <c>gateway.yaml</c> when a provider
    /// key is set and <c>gateway.demo.yaml</c> (the built-in mock) when none is.
    /// </summary>
    public static GatewayConfigSource Choose(IDistributedApplicationBuilder builder, IEnumerable<string> knownProviderKeys)
    {
        var configured = builder.Configuration["Api:ConfigFile"];
        var file = !string.IsNullOrWhiteSpace(configured)
            ? configured
            : knownProviderKeys.Any(name => !string.IsNullOrEmpty(builder.Configuration[name])) ? "gateway.yaml" : "gateway.demo.yaml";
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(builder.AppHostDirectory, file));
        if (!File.Exists(path))
        {
            throw new DistributedApplicationException($"Api:ConfigFile: file '{path}' not found");
        }

        var text = File.ReadAllText(path);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        return new GatewayConfigSource(path, text, yaml.Documents.FirstOrDefault()?.RootNode as YamlMappingNode);
    }

    /// <summary>
    /// Environment variables the Api will read because of this config, in order of appearance: every
    /// <c>os.environ/NAME</c> value, and <c>SLACK_WEBHOOK_URL</c> when <c>general_settings.alerting</c> has <c>slack</c>.
    /// </summary>
    public IReadOnlyList<string> EnvironmentReferences()
    {
        var explicitReferences = Scalars(Root).Select(value => EnvironmentReference().Match(value))
            .Where(match => match.Success)
            .Select(match => match.Groups[1].Value);
        return explicitReferences.Concat(AlertsToSlack() ? ["SLACK_WEBHOOK_URL"] : [])
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Paths of credentials written into the file as literal values (not <c>os.environ/NAME</c>), e.g. <c>model_list[0].litellm_params.api_key</c>.</summary>
    public IReadOnlyList<string> LiteralSecrets() => [.. LiteralSecrets(Root, "")];

    private static IEnumerable<string> LiteralSecrets(YamlNode? node, string path) => node switch
    {
        YamlMappingNode mapping => mapping.Children.SelectMany(pair =>
        {
            var key = (pair.Key as YamlScalarNode)?.Value ?? "";
            var child = path.Length == 0 ? key : $"{path}.{key}";
            return IsSecretKey(key) && pair.Value is YamlScalarNode { Value: { Length: > 0 } value } && !EnvironmentReference().IsMatch(value)
                ? [child]
                : LiteralSecrets(pair.Value, child);
        }),
        YamlSequenceNode sequence => sequence.Children.SelectMany((item, i) => LiteralSecrets(item, $"{path}[{i}]")),
        _ => [],
    };

    private static bool IsSecretKey(string key) =>
        SecretKeys.Contains(key, StringComparer.OrdinalIgnoreCase)
        || SecretKeySuffixes.Any(suffix => key.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));

    private bool AlertsToSlack() =>
        Root?.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode { Value: "general_settings" }).Value is YamlMappingNode general
        && general.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode { Value: "alerting" }).Value is YamlSequenceNode alerting
        && alerting.Children.OfType<YamlScalarNode>().Any(channel => string.Equals(channel.Value, "slack", StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> Scalars(YamlNode? node) => node switch
    {
        YamlScalarNode scalar => scalar.Value is null ? [] : [scalar.Value],
        YamlSequenceNode sequence => sequence.Children.SelectMany(Scalars),
        YamlMappingNode mapping => mapping.Children.Values.SelectMany(Scalars),
        _ => [],
    };

    [GeneratedRegex(@"^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$")]
    private static partial Regex EnvironmentReference();
}
