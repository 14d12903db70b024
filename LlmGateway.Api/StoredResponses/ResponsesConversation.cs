using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Auth;
using LlmGateway.Api.ClientApis.Responses;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Proxy;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.StoredResponses;

/// <summary>
/// One Responses request's state: its <c>previous_response_id</c> chain spliced in before its input (so every backend gets
/// the whole conversation), tool outputs checked against the calls they answer, and the answer stored unless <c>store: false</c>.
/// </summary>
/// <param name="maxBodyBytes">The body limit (<c>Gateway:MaxRequestBodyBytes</c>), which the spliced body is held to as the client's was.</param>
public sealed class ResponsesConversation(ResponseStore store, long maxBodyBytes, Routing.ResponseAffinity? affinity = null) : RequestState
{
    private string scope = "";
    private string? previous;
    private bool keep;
    private JsonArray input = [];
    private string? preferred;

    public override string? PreferredDeploymentId => preferred;

    private GatewayError TooLarge => new(StatusCodes.Status413PayloadTooLarge, "invalid_request_error",
        $"The conversation of previous_response_id '{previous}' with this input is larger than the request body limit ({maxBodyBytes} bytes): "
        + "start a new conversation, or send a shorter history without previous_response_id.", "previous_response_id", "request_too_large");

    public override string AnswerId { get; } = "resp_" + Guid.NewGuid().ToString("N");

    private static bool LooksLikeAnId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public override async Task<(JsonBody? Body, GatewayError? Error)> PrepareAsync(Caller caller, JsonBody body, CancellationToken cancellationToken)
    {
        var root = JsonNode.Parse(body.Bytes.Span)!.AsObject();
        scope = ResponseStore.ScopeOf(caller);
        previous = GetString(root["previous_response_id"]);
        keep = root["store"]?.GetValueKind() != JsonValueKind.False;
        input = InputItems(root["input"]);
        List<JsonNode?> history = [];
        // No stored response has any other id (ours: resp_ and 32 hex digits): not looked up, so a NUL, which Postgres text
        // cannot hold, is a 404 here rather than a failed query read as "the store is down" (CacheAndStreamAttackTests).
        if (previous is not null && !LooksLikeAnId(previous))
        {
            return (null, NotFound(previous, "previous_response_id", "previous_response_not_found"));
        }

        if (previous is not null)
        {
            StoredChain? chain;
            try
            {
                chain = await store.LoadChainAsync(scope, previous, maxBodyBytes, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return (null, Unavailable);
            }

            if (chain is null)
            {
                return (null, NotFound(previous, "previous_response_id", "previous_response_not_found"));
            }

            // A conversation longer than the body limit is refused as the same body sent whole would be (413), unread.
            if (chain.TooLarge)
            {
                return (null, TooLarge);
            }

            history = ResponseStore.HistoryOf(chain.Responses);
            // Sticky: back to the deployment that gave the previous answer, when it is available; anywhere else the chain is replayed.
            preferred = affinity is null ? null : await affinity.FindAsync(previous);
        }

        if (ResponsesInputValidation.UnmatchedOutput(history, input) is { } unmatched)
        {
            return (null, unmatched);
        }

        if (previous is null)
        {
            return (body, null);
        }

        // OpenAI's rule: a previous response's instructions are not carried over; its input and output are.
        root.Remove("previous_response_id");
        root["input"] = new JsonArray([.. history, .. input.Select(i => i?.DeepClone())]);
        var spliced = JsonSerializer.SerializeToUtf8Bytes(root, Options);
        if (spliced.Length > maxBodyBytes)
        {
            return (null, TooLarge);
        }

        return JsonBody.TryParse(spliced, out var expanded, out var error) ? (expanded, null) : (null, error);
    }

    public override Func<CompletedAnswer, DeploymentConfig, Task>? KeepFor(ProxyContext proxy) => keep ? (answer, deployment) => KeepAsync(proxy, answer, deployment) : null;

    private Task KeepAsync(ProxyContext proxy, CompletedAnswer answer, DeploymentConfig deployment)
    {
        // A pass-through body lives in a pooled buffer: copied before anything is awaited.
        var body = answer.Body is { } bytes ? bytes.ToArray()
            : answer.Folded is { } folded ? proxy.Client.EncodeBody(folded, new ResponseIdentity(
                folded.Id is { } own && own.StartsWith("resp_", StringComparison.Ordinal) ? own : AnswerId,
                proxy.Group.Name, DateTimeOffset.UtcNow.ToUnixTimeSeconds()))
            : null;
        if (body is null || GetString(JsonNode.Parse(body)?["id"]) is not { } id)
        {
            return Task.CompletedTask;
        }

        var remembered = affinity?.RememberAsync(id, deployment.Id, store.Retention) ?? Task.CompletedTask;
        return Task.WhenAll(remembered, store.SaveAsync(new StoredResponse
        {
            Id = id,
            Scope = scope,
            PreviousResponseId = previous,
            Model = proxy.Group.Name,
            CreatedAt = DateTimeOffset.UtcNow,
            Input = input.ToJsonString(Options),
            Response = System.Text.Encoding.UTF8.GetString(body),
        }));
    }

    /// <summary><c>input</c> as items: a string is one user message.</summary>
    private static JsonArray InputItems(JsonNode? input) => input switch
    {
        JsonArray items => (JsonArray)items.DeepClone(),
        JsonValue when GetString(input) is { } text => [new JsonObject
        {
            ["type"] = "message", ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "input_text", ["text"] = text }),
        }],
        _ => [],
    };

    /// <summary>The store could not be read in time (Postgres slow or down): a 503 the client may retry, never a 500.</summary>
    public static readonly GatewayError Unavailable = new(StatusCodes.Status503ServiceUnavailable, "service_unavailable",
        "Stored responses cannot be read right now; retry shortly, or send the whole conversation as input with store: false.")
    {
        RetryAfterSeconds = 1,
    };

    /// <summary>OpenAI's 404 for an id this caller cannot see, whether it never existed or belongs to another team.</summary>
    public static GatewayError NotFound(string id, string? param, string? code) =>
        new(StatusCodes.Status404NotFound, "invalid_request_error", $"Response with id '{id}' not found.", param, code);
}
