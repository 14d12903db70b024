using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LlmGateway.Admin.Components.Shared;

/// <summary>A create-or-edit dialog: refuses what the form says is wrong without a call, else sends and closes on success.</summary>
public abstract class FormDialogBase : ComponentBase
{
    [CascadingParameter]
    protected IMudDialogInstance Dialog { get; set; } = default!;

    protected string? Error { get; set; }

    protected bool Saving { get; private set; }

    /// <summary>Shows <paramref name="problem"/> and sends nothing, or sends and closes the dialog when the Api accepts.</summary>
    protected async Task SaveAsync(string? problem, Func<Task<string?>> send)
    {
        if (problem is not null)
        {
            Error = problem;
            return;
        }

        Saving = true;
        Error = await send();
        Saving = false;
        if (Error is null)
        {
            Dialog.Close(DialogResult.Ok(true));
        }
    }
}

/// <summary>The dialogs and confirmations the list pages open.</summary>
public static class DialogShortcuts
{
    public static DialogOptions Form => new() { MaxWidth = MaxWidth.Small, FullWidth = true };

    /// <summary>Opens a form dialog; true when it saved.</summary>
    public static async Task<bool> SavedAsync<TDialog>(this IDialogService dialogs, string title, DialogParameters<TDialog>? parameters = null)
        where TDialog : IComponent
    {
        var dialog = await dialogs.ShowAsync<TDialog>(title, parameters ?? new DialogParameters<TDialog>(), Form);
        return await dialog.Result is { Canceled: false };
    }

    public static async Task<bool> ConfirmedAsync(this IDialogService dialogs, string title, string message, string yes = "Delete") =>
        await dialogs.ShowMessageBoxAsync(title, message, yesText: yes, cancelText: "Cancel") == true;

    /// <summary>A snackbar saying what happened, or why it failed.</summary>
    public static void Report(this ISnackbar snackbar, string? failure, string success) =>
        snackbar.Add(failure ?? success, failure is null ? Severity.Success : Severity.Error);
}
