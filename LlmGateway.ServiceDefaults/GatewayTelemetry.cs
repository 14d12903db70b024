using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>The gateway's own trace source and meter, registered with OpenTelemetry by <c>AddServiceDefaults</c>.</summary>
public static class GatewayTelemetry
{
    public const string Name = "LlmGateway";

    public static readonly ActivitySource ActivitySource = new(Name);

    public static readonly Meter Meter = new(Name);
}
