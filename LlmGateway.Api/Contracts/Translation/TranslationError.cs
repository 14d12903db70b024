namespace LlmGateway.Api.Contracts;

/// <summary>
/// A request the gateway cannot translate; becomes a 400 <c>invalid_request_error</c> whose
/// <c>param</c> is <see cref="Param"/> (e.g. <c>frequency_penalty</c>, <c>messages[2].content</c>) and <c>code</c> is
/// <see cref="Code"/>: <c>unsupported_parameter</c> for what the target cannot take, <c>invalid_value</c> for what no
/// provider takes.
/// </summary>
public sealed record TranslationError(string Param, string Message, string Code = "unsupported_parameter");
