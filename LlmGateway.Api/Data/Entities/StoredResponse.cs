namespace LlmGateway.Api.Data.Entities;

/// <summary>
/// A Responses API answer kept for <c>previous_response_id</c> and <c>GET /v1/responses/{id}</c>: its own input items and the
/// response object (prompt content: never logged, deleted after <c>Gateway:Responses:Retention</c>).
/// </summary>
public sealed class StoredResponse
{
    /// <summary>The gateway's <c>resp_…</c> id.</summary>
    public required string Id { get; set; }
    /// <summary>Who may read it: <c>team:{id}</c>, else <c>key:{hash}</c> for a key without a team, else <c>master</c>.</summary>
    public required string Scope { get; set; }
    public string? PreviousResponseId { get; set; }
    public required string Model { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>The request's input items (JSON array), each with an id.</summary>
    public required string Input { get; set; }
    /// <summary>The response object (JSON) as the client received it.</summary>
    public required string Response { get; set; }
}
