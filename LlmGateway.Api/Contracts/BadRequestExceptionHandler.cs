using Microsoft.AspNetCore.Diagnostics;

namespace LlmGateway.Api.Contracts;

/// <summary>
/// A management body that does not bind (malformed JSON, a string where a number belongs) becomes a 400 in the
/// OpenAI envelope instead of an empty answer. Anything else is a 500 without internals.
/// </summary>
internal sealed class BadRequestExceptionHandler(ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }

        var error = exception is BadHttpRequestException bad
            ? new GatewayError(bad.StatusCode, "invalid_request_error",
                $"The request could not be read: {(bad.InnerException is System.Text.Json.JsonException json ? json.Message : bad.Message)}", null, "invalid_body")
            : new GatewayError(StatusCodes.Status500InternalServerError, "internal_error",
                $"The gateway failed to handle the request (request id {context.TraceIdentifier}).", null, "internal_error");
        if (error.StatusCode >= 500)
        {
            logger.LogError(exception, "Unhandled error in request {RequestId}", context.TraceIdentifier);
        }

        await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
        return true;
    }
}
