using LlmGateway.Admin;
using LlmGateway.Admin.Auth;
using LlmGateway.Admin.Components;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAdminServices();
builder.AddAdminAuthentication();

var app = builder.Build();

app.UseForwardedHeaders();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}

app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapAdminAccountEndpoints();
app.MapSpendExport();
app.MapDefaultEndpoints();

app.Run();
