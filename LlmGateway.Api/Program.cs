using LlmGateway.Api;
using LlmGateway.Api.Endpoints;
using LlmGateway.Api.Proxy;

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
// GET /health is LiteLLM's deployment health (HealthApi); ASP.NET's aggregate check moves aside.
app.MapDefaultEndpoints(healthPath: "/health/aggregate");
app.MapHealthApi();
app.MapModelInfoApi();
app.MapChatCompletionsApi();
app.MapMessagesApi();
app.MapEmbeddingsApi();
app.MapModelsApi();
app.MapTeamsApi();
app.MapKeysApi();
app.MapSpendApi();
app.MapAlertsApi();
app.MapContentLogsApi();
app.MapPrometheusScrapingEndpoint(); // GET /metrics, public like LiteLLM's (docs/telemetry.md)

app.Run();
