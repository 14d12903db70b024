namespace LlmGateway.Api.Contracts;

/// <summary>An error reported in-band by an upstream after the stream had started (HTTP status already 200).</summary>
public sealed record StreamError(string Type, string Message);
