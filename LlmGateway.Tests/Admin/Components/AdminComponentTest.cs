using Bunit;
using LlmGateway.Admin.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace LlmGateway.Tests.Admin.Components;

/// <summary>A bUnit context with MudBlazor and a <see cref="GatewayAdminClient"/> talking to a <see cref="FakeGatewayApi"/>.</summary>
public abstract class AdminComponentTest : BunitContext
{
    public const string MasterKey = "sk-component-test-master-key";

    protected FakeGatewayApi Api { get; } = new();

    protected AdminComponentTest()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(options => options.PopoverOptions.CheckForPopoverProvider = false);
        Services.AddSingleton(new GatewayAdminClient(
            new HttpClient(Api) { BaseAddress = new Uri("http://api.test") },
            Options.Create(new GatewayAdminOptions { MasterKey = MasterKey })));
    }
}
