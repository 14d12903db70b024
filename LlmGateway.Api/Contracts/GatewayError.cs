namespace LlmGateway.Api.Contracts;

/// <summary>An error the gateway answers with, written in the envelope of the API the client called.</summary>
public sealed record GatewayError(int StatusCode, string Type, string Message, string? Param = null, string? Code = null)
{
    /// <summary>Seconds for <c>Retry-After</c>, when the client should come back later.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>An Anthropic provider's own <c>error.type</c>, written as is to an Anthropic client instead of the type by status.</summary>
    public string? AnthropicType { get; init; }

    public static GatewayError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", message, param, code);

    public static GatewayError InvalidApiKey(string message = "Invalid or missing API key. Send it as 'Authorization: Bearer <key>'.") =>
        new(StatusCodes.Status401Unauthorized, "invalid_request_error", message, null, "invalid_api_key");

    public static GatewayError ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, "invalid_request_error",
            $"The model '{model}' does not exist or you do not have access to it. GET /v1/models lists the models your key may use.",
            "model", "model_not_found");

    public static GatewayError BodyTooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "invalid_request_error",
            $"The request body is larger than the limit of {limit} bytes.", null, "request_too_large");
}
