using System.Reflection;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// The OpenAPI document of every route (<c>GET /openapi/v1.json</c>, Microsoft.AspNetCore.OpenApi) and a page that reads
/// it (<c>GET /docs</c>): Scalar's UI is not among the packages this project may use, so the page is our own, one static file.
/// </summary>
public static class ApiDocsApi
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("LlmGateway.Api.Endpoints.ApiDocs.html")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static IServiceCollection AddApiDocs(this IServiceCollection services) => services.AddOpenApi(options =>
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "LlmGateway";
            document.Info.Description = "LiteLLM-compatible proxy and management API. Management routes need the master key "
                + "(Authorization: Bearer <master key>); proxy routes take a virtual key.";
            return Task.CompletedTask;
        }));

    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        app.MapGet("/docs", () => TypedResults.Content(Page.Value, "text/html; charset=utf-8")).ExcludeFromDescription();
        return app;
    }
}
