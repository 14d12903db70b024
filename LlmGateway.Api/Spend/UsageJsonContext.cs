using System.Text.Json.Serialization;

namespace LlmGateway.Api.Spend;

/// <summary>The compact JSON of a usage event in the Redis stream and the spool file (source-generated, snake_case).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UsageEvent))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class UsageJsonContext : JsonSerializerContext;
