; Inno Setup 6 script: the per-user Windows installer of CCM Timer.
;
;     iscc /DAppVersion=0.1.0 /DSourceDir=C:\...\dist\ccm-timer /DOutputDir=C:\...\dist
;          /DSetupIcon=C:\...\build\ccm-timer\icons\ccm-timer.ico packaging\windows\ccm-timer.iss
;
; packaging/build.sh --archive runs this on Windows after PyInstaller; the build workflow
; (.github/workflows/build.yml) does so on windows-latest. SourceDir is PyInstaller's folder
; (packaging/ccm-timer.spec): ccm-timer.exe, the tray (windowed), ccm-timer-cli.exe, the
; command line (console), and _internal\.
;
; What it does, and does not:
;   - installs for the current user only, without administrator rights or a UAC prompt
;     (PrivilegesRequired=lowest), into %LOCALAPPDATA%\Programs\CCM Timer ({autopf} in non
;     administrative install mode), so a clinic's locked-down workstation accounts can install
;     and update it themselves;
;   - adds the Start-menu entry (the tray program), optionally starts the tray at sign-in
;     through the same HKCU Run value that the tray's own "Start at login" setting writes
;     (ccm_timer/platform/autostart.py: value "CCMTimer"), and registers the uninstaller in
;     Settings > Apps;
;   - never touches the data folder. The database, its backups, settings and logs live in
;     %LOCALAPPDATA%\CCMTimer\ccm-timer (ccm_timer/paths.py), which is not the install folder;
;     no [UninstallDelete] entry names it, and the uninstaller removes only the files this
;     installer copied, so uninstalling and installing again finds the data as it was.

#ifndef SourceDir
  #define SourceDir "..\..\dist\ccm-timer"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef SetupIcon
  ; The .ico that packaging/icons.py drew for PyInstaller in its work folder.
  #define SetupIcon "..\..\build\ccm-timer\icons\ccm-timer.ico"
#endif
#ifndef AppVersion
  ; The version resource that packaging/winversion.py put into the tray program.
  #define AppVersion GetVersionNumbersString(AddBackslash(SourceDir) + "ccm-timer.exe")
#endif
#define AppName "CCM Timer"
#define AppExe "ccm-timer.exe"
#define CliExe "ccm-timer-cli.exe"
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"
#define RunValue "CCMTimer"

[Setup]
; The AppId ties upgrades and the uninstaller to this product: never change it.
AppId={{FCE05A7B-429C-47F7-B468-AF5E5104398D}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=CCM Timer
AppComments=A system-tray timer for Medicare care-management time
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
; Per user, no elevation: {autopf} is %LOCALAPPDATA%\Programs, {autoprograms} the user's
; Start menu, and the uninstaller is registered under HKCU.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Windows 10 1809 or later: what the PySide6 6.7+ wheels support.
MinVersion=10.0.17763
OutputDir={#OutputDir}
OutputBaseFilename=ccm-timer-{#AppVersion}-windows-x64-setup
SetupIconFile={#SetupIcon}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; A running tray holds its files open: ask to close it (Restart Manager) before copying or
; uninstalling, and do not start it again behind the user's back.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "autostart"; Description: "Start {#AppName} when I sign in to Windows"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An update replaces the whole bundle: no module of an older version may linger beside the
; new one. Only the install folder's own _internal\ is removed, never the data folder.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Time care-management work per patient"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The same value the tray's "Start at login" writes and reads, so either can switch it off.
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#RunValue}"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ "Start at login" may have been switched on in the tray's settings rather than here, so the
  [Registry] entry above does not cover it. After uninstalling, remove the Run value too,
  but only when it starts a program in this install folder: a CCM Timer installed another
  way (pipx, a copied folder) keeps its own. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Command: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    if RegQueryStringValue(HKEY_CURRENT_USER, '{#RunKey}', '{#RunValue}', Command) then
    begin
      if Pos(Lowercase(AddBackslash(ExpandConstant('{app}'))), Lowercase(Command)) > 0 then
        RegDeleteValue(HKEY_CURRENT_USER, '{#RunKey}', '{#RunValue}');
    end;
  end;
end;
