using LlmGateway.Api.Contracts;
using LlmGateway.Api.Proxy;

namespace LlmGateway.Api.Endpoints;

/// <summary><c>GET /v1/models</c>: the model groups the caller may use, in OpenAI's list format.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", ListAsync).WithName("ListModels").WithSummary("The models this key may use.");
        app.MapGet("/models", ListAsync).ExcludeFromDescription();
        return app;
    }

    public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy);

    public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

    private static async Task<IResult> ListAsync(HttpContext context, ProxyServices services)
    {
        var (caller, error) = await services.Auth.AuthenticateAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
            return TypedResults.Empty;
        }

        var created = Started.ToUnixTimeSeconds();
        var cards = services.Catalog.Groups
            .Where(g => caller!.Key?.MayUse(g.Name, g.AccessGroups) ?? true)
            .Select(g => new ModelCard(g.Name, "model", created, "llmgateway")).ToList();
        return TypedResults.Ok(new ModelList("list", cards));
    }

    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;
}
