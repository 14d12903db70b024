namespace LlmGateway.Api.Contracts;

/// <summary>
/// A request the gateway cannot translate; becomes a 400 <c>invalid_request_error</c> whose
/// <c>param</c> is <see cref="Param"/> (e.g. <c>frequency_penalty</c>, <c>messages[2].content</c>).
/// </summary>
public sealed record TranslationError(string Param, string Message);
