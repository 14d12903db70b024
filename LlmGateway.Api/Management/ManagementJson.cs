using System.Text.Json;

namespace LlmGateway.Api.Management;

/// <summary>The management API's JSON: snake_case, as LiteLLM's.</summary>
public static class ManagementJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}
