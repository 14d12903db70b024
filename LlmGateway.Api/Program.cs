using LlmGateway.Api;
using LlmGateway.Api.Auth;
using LlmGateway.Api.ContentLogs;
using LlmGateway.Api.Endpoints;
using LlmGateway.Api.Management;
using LlmGateway.Api.Proxy;
using LlmGateway.Api.Shutdown;
using LlmGateway.Api.Telemetry;

// Settings files live next to the DLL, so the Api runs the same from any working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.UseRequestIds();
app.UseExceptionHandler();
app.UseMasterKeyGate(); // management routes: the master key before any body is read (docs/security.md)
// GET /health is LiteLLM's deployment health (HealthApi); ASP.NET's aggregate check moves aside.
app.MapDefaultEndpoints(healthPath: "/health/aggregate");
app.MapHealthApi();
app.MapModelInfoApi();
app.MapModelGroupInfoApi();
app.MapModelManagementApi(); // /model/new|update|delete (store_model_in_db)
app.MapTestConnectionApi(); // /health/test_connection: a deployment probed before it is saved

// The proxy routes (docs/architecture.md): counted in flight, authenticated once, content captured when opted in,
// then ProxyPipeline: body, model, limits and budget, cache, failover through the deployments, settle, usage event.
var proxy = app.MapGroup("")
    .AddEndpointFilter<InFlightFilter>()
    .AddEndpointFilter<ProxyAuthentication>()
    .AddEndpointFilter<ContentCapture>();
proxy.MapChatCompletionsApi();
proxy.MapMessagesApi();
proxy.MapCompletionsApi();
proxy.MapResponsesApi();
proxy.MapCountTokensApi();
proxy.MapEmbeddingsApi();

app.MapModelsApi();
app.MapTeamsApi();
app.MapKeysApi();
app.MapUsersApi();
app.MapTeamMembersApi();
app.MapOrganizationsApi();
app.MapCustomersApi();
app.MapBudgetsApi();
app.MapTagsApi();
app.MapSpendApi();
app.MapSpendReportsApi();
app.MapAlertsApi();
app.MapContentLogsApi();
app.MapApiDocs(); // GET /openapi/v1.json and its page, GET /docs
app.MapMetrics(); // GET /metrics: a scrape token, or public without per-team series (docs/security.md)

app.Run();
