namespace LlmGateway.Admin.Services;

/// <summary>Where the Api is and the credential the admin uses for its management API (server-side only).</summary>
public sealed class GatewayAdminOptions
{
    public const string Section = "Gateway";

    /// <summary>Service-discovery address of the Api.</summary>
    public string ApiBaseAddress { get; set; } = "https+http://api";

    /// <summary>The master key; never sent to the browser.</summary>
    public string? MasterKey { get; set; }
}
