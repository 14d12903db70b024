namespace LlmGateway.Api.Configuration;

/// <summary>A loaded configuration and the start-up warnings to log once each (they name keys and paths, never values).</summary>
public sealed record GatewayConfigLoadResult(GatewayConfig Config, IReadOnlyList<string> Warnings);
