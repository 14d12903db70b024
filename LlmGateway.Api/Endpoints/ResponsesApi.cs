using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Auth;
using LlmGateway.Api.ClientApis;
using LlmGateway.Api.ClientApis.Responses;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Proxy;
using LlmGateway.Api.StoredResponses;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// OpenAI's Responses API inbound, to any backend: <c>POST /v1/responses</c> (also <c>/responses</c>), streaming and not, and
/// the stored responses of the caller's team: <c>GET|DELETE /v1/responses/{id}</c>, <c>GET /v1/responses/{id}/input_items</c>.
/// </summary>
public static class ResponsesApi
{
    public static IEndpointRouteBuilder MapResponsesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/responses", CreateAsync).WithName("CreateResponse").WithSummary("OpenAI-compatible Responses API, to any backend.");
        app.MapPost("/responses", CreateAsync).ExcludeFromDescription();
        app.MapGet("/v1/responses/{id}", GetAsync).WithName("GetResponse").WithSummary("A stored response of the caller's team.")
            .AddEndpointFilter(CountedAgainstLimitsAsync);
        app.MapDelete("/v1/responses/{id}", DeleteAsync).WithName("DeleteResponse").WithSummary("Deletes a stored response of the caller's team.")
            .AddEndpointFilter(CountedAgainstLimitsAsync);
        app.MapGet("/v1/responses/{id}/input_items", InputItemsAsync).WithName("ListResponseInputItems")
            .WithSummary("The input items of a stored response, paginated like OpenAI's lists.").AddEndpointFilter(CountedAgainstLimitsAsync);
        return app;
    }

    private static Task CreateAsync(HttpContext context, ProxyServices services, ResponseStore store, Routing.ResponseAffinity affinity) =>
        ProxyPipeline.RunAsync<ResponsesRequest>(context, services, ClientAdapters.Responses, ResponsesRequest.TryRead,
            r => new RequestFacts(r.Model, r.MaxOutputTokens, r.Stream, r.EndUser),
            r => new CallShape(UpstreamOperation.Chat, r.Stream, false, deployment => new BodyRewriter.Options(deployment.ProviderModel)
            {
                KeepMockResponse = deployment.Provider == ProviderKind.Mock, MaxToolCalls = services.Costs.HostedToolCallCeiling,
                MaxTokensCeiling = deployment.MaxTokens, MaxTokensName = "max_output_tokens",
            }),
            "responses", new ResponsesConversation(store, services.Options.MaxRequestBodyBytes, affinity));

    private static async Task GetAsync(HttpContext context, string id, ResponseStore store)
    {
        if (await FindAsync(context, id, store) is { } stored)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(stored.Response, context.RequestAborted);
        }
    }

    private static async Task DeleteAsync(HttpContext context, string id, ResponseStore store)
    {
        if (CallerOf(context) is not { } caller)
        {
            await RefuseAsync(context);
            return;
        }

        bool deleted;
        try
        {
            deleted = await store.DeleteAsync(ResponseStore.ScopeOf(caller), id, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            await ErrorWriter.WriteAsync(context, ResponsesConversation.Unavailable, ClientFormat.OpenAi);
            return;
        }

        if (!deleted)
        {
            await ErrorWriter.WriteAsync(context, ResponsesConversation.NotFound(id, null, null), ClientFormat.OpenAi);
            return;
        }

        await context.Response.WriteAsJsonAsync(new JsonObject { ["id"] = id, ["object"] = "response", ["deleted"] = true }, context.RequestAborted);
    }

    /// <summary>OpenAI's list: <c>limit</c> 1–100 (default 20), <c>order</c> desc (default) or asc, <c>after</c> an item id.</summary>
    private static async Task InputItemsAsync(HttpContext context, string id, ResponseStore store, int? limit, string? order, string? after)
    {
        if (limit is < 1 or > 100 || order is not (null or "asc" or "desc"))
        {
            var param = limit is < 1 or > 100 ? "limit" : "order";
            await ErrorWriter.WriteAsync(context, GatewayError.InvalidRequest(
                "'limit' must be between 1 and 100 and 'order' must be 'asc' or 'desc'.", param, "invalid_value"), ClientFormat.OpenAi);
            return;
        }

        if (await FindAsync(context, id, store) is not { } stored)
        {
            return;
        }

        var items = InputItemIds.WithIds(JsonNode.Parse(stored.Input)!.AsArray(), stored.Id);
        if (order != "asc")
        {
            items.Reverse();
        }

        var start = after is null ? 0 : items.FindIndex(i => (string?)i["id"] == after) + 1;
        var page = items.Skip(start).Take(limit ?? 20).ToList();
        var list = new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([.. page]),
            ["first_id"] = page.Count > 0 ? (string?)page[0]["id"] : null,
            ["last_id"] = page.Count > 0 ? (string?)page[^1]["id"] : null,
            ["has_more"] = start + page.Count < items.Count,
        };
        await context.Response.WriteAsJsonAsync(list, context.RequestAborted);
    }

    /// <summary>The caller's stored response, or null once the 401 or 404 was written.</summary>
    private static async Task<Data.Entities.StoredResponse?> FindAsync(HttpContext context, string id, ResponseStore store)
    {
        if (CallerOf(context) is not { } caller)
        {
            await RefuseAsync(context);
            return null;
        }

        Data.Entities.StoredResponse? stored;
        try
        {
            stored = await store.FindAsync(ResponseStore.ScopeOf(caller), id, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            await ErrorWriter.WriteAsync(context, ResponsesConversation.Unavailable, ClientFormat.OpenAi);
            return null;
        }

        if (stored is null)
        {
            await ErrorWriter.WriteAsync(context, ResponsesConversation.NotFound(id, null, null), ClientFormat.OpenAi);
        }

        return stored;
    }

    /// <summary>
    /// A read or delete of a stored response counts against the key's limits as any other request does (its rpm, a spent
    /// budget): each is a Postgres query over a row of up to the body limit, which a key could otherwise repeat at any rate,
    /// past its rpm (NoisyNeighbourAttackTests). Nothing is reserved, nothing billed. The master key is not limited.
    /// </summary>
    private static async ValueTask<object?> CountedAgainstLimitsAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (CallerOf(context)?.Key is not { } key)
        {
            return await next(invocation);
        }

        var limits = context.RequestServices.GetRequiredService<Limits.LimitsGate>();
        var admission = await limits.AdmitAsync(key, "", 0, 0m, context.TraceIdentifier, context.RequestAborted);
        if (admission.Rejection is { } refused)
        {
            await ErrorWriter.WriteAsync(context, refused, ClientFormat.OpenAi);
            return Results.Empty;
        }

        try
        {
            return await next(invocation);
        }
        finally
        {
            await limits.SettleAsync(admission, context.TraceIdentifier, 0, 0m);
        }
    }

    private static Caller? CallerOf(HttpContext context) => context.Features.Get<Authentication>() is { Error: null, Caller: { } caller } ? caller : null;

    private static Task RefuseAsync(HttpContext context) =>
        context.Features.Get<Authentication>()?.Error is { } error ? ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi) : Task.CompletedTask;
}
