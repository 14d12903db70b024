using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>Anthropic's token count request (<c>POST /v1/messages/count_tokens</c>): a Messages request without <c>max_tokens</c>.</summary>
public sealed class CountTokensRequest
{
    public required JsonBody Body { get; init; }
    public required string Model { get; init; }

    public static bool TryRead(JsonBody body, out CountTokensRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !MessagesTurnValidation.TryValidate(body, out error)
            || !MessagesRequest.TryValidateSystem(body, out error))
        {
            return false;
        }

        request = new CountTokensRequest { Body = body, Model = model! };
        return true;
    }
}
